"""Synthetic French patients for the demo and the benchmarks. Nobody real: names are
drawn from lists of common French names, NIRs are computed test numbers (declared
with the test OID), phone numbers are in the range ARCEP reserves for fiction."""

from __future__ import annotations

import datetime as dt
import random

from .enums import Gender, InsOid
from .forms_data import IdentityData

FAMILY = (
    "Martin Bernard Thomas Petit Robert Richard Durand Dubois Moreau Laurent Simon Michel "
    "Lefèvre Leroy Roux David Bertrand Morel Fournier Girard Bonnet Dupont Lambert Fontaine "
    "Rousseau Vincent Muller Faure André Mercier Blanc Guérin Boyer Garnier Chevalier François "
    "Legrand Gauthier Garcia Perrin Robin Clément Morin Nicolas Henry Roussel Mathieu Masson "
    "Marchand Duval Denis Dumont Lemaire Noël Meyer Dufour Meunier Brun Blanchard Giraud Joly "
    "Rivière Lucas Brunet Gaillard Barbier Arnaud Martinez Gérard Roche Renard Schmitt Roy "
    "Leroux Colin Vidal Caron Picard Roger Fabre Aubert Lemoine Renaud Dumas Lacroix Olivier "
    "Philippe Bourgeois Pierre Benoît Rey Leclerc Payet Rolland Guillaume Lecomte Lopez Dupuy "
    "Guillot Hubert Berger Carpentier Sanchez Dupuis Moulin Deschamps Huet Vasseur Perez "
    "Boucher Fleury Royer Klein Jacquet Adam Poirier Marty Aubry Guyot Carré Charpentier "
    "Ménard Maillard Baron Bertin Bailly Hervé Schneider Fernandez Collet Léger Bouvier Julien "
    "Prévost Millet Perrot Cousin Germain Breton Besson Langlois Rémy Pelletier Lévêque "
    "Perrier Leblanc Barré Lebrun Marchal Weber Mallet Hamon Boulanger Jacob Monnier Michaud "
    "Guichard Gillet Étienne Grondin Poulain Tessier Chauvin Bouchet Lemaître Bénard Maréchal "
    "Humbert Reynaud Hoarau Perret Barthélemy Cordier Pichon Lejeune Gilbert Lamy Delaunay "
    "Pasquier Carlier Laporte Le_Gall Le_Goff Da_Silva N'Diaye"
).split(" ")
FAMILY = [n.replace("_", " ") for n in FAMILY if n]
FEMALE = (
    "Marie Jeanne Françoise Monique Catherine Nathalie Isabelle Sylvie Sophie Christine "
    "Valérie Sandrine Céline Aurélie Émilie Julie Camille Léa Manon Chloé Inès Jade Louise "
    "Alice Emma Lina Rose Anna Juliette Zoé Élise Agathe Margaux Hélène Odile Brigitte "
    "Martine Nicole Anne Claire Lucie Pauline Mathilde Charlotte Anaïs Marine Élodie Yasmine"
).split()
MALE = (
    "Jean Pierre Michel André Philippe Alain Bernard Jacques Daniel Patrick Nicolas "
    "Christophe Stéphane Sébastien Julien Thomas Lucas Hugo Louis Gabriel Arthur Jules Léo "
    "Raphaël Adam Nathan Paul Maël Noah Antoine Maxime Romain Quentin Guillaume Benjamin "
    "Florian Vincent David Olivier Laurent François Henri Mathis Théo Karim Mehdi Yanis"
).split()
# Birthplaces: Paris arrondissements, large cities, Corsica, and abroad (99xxx).
PLACES = (
    "75112 75115 75118 75120 13055 69123 31555 06088 44109 67482 34172 33063 59350 "
    "35238 2A004 2B033 63113 87085 86194 97411 99134 99127 99350 99352"
).split()
STREETS = (
    "rue de la République",
    "avenue Jean Jaurès",
    "rue Victor Hugo",
    "place de la Mairie",
    "rue des Écoles",
    "boulevard Pasteur",
    "allée des Tilleuls",
    "chemin du Moulin",
)


def nir_key(first13: str) -> str:
    digits = first13.replace("2A", "19").replace("2B", "18")
    return f"{97 - int(digits) % 97:02d}"


def synthetic_nir(sex: str, birth_date: dt.date, place: str, rng: random.Random) -> str:
    first13 = (
        f"{1 if sex == Gender.MALE else 2}{birth_date.year % 100:02d}"
        f"{birth_date.month:02d}{place}{rng.randint(1, 999):03d}"
    )
    return first13 + nir_key(first13)


def synthetic_identity(rng: random.Random, today: dt.date) -> IdentityData:
    sex = Gender.FEMALE if rng.random() < 0.52 else Gender.MALE
    names = FEMALE if sex == Gender.FEMALE else MALE
    given = " ".join(rng.sample(names, rng.choice((1, 1, 2, 2, 3))))
    family = rng.choice(FAMILY)
    used_family = ""
    if sex == Gender.FEMALE and rng.random() < 0.3:
        used_family = rng.choice(FAMILY)
    age_days = rng.randint(0, 95 * 365)
    birth_date = today - dt.timedelta(days=age_days)
    place = rng.choice(PLACES)
    with_nir = rng.random() < 0.85
    return IdentityData(
        birth_family_name=family,
        birth_given_names=given,
        birth_date=birth_date,
        sex=sex,
        birthplace_insee=place,
        used_family_name=used_family,
        nir=synthetic_nir(sex, birth_date, place, rng) if with_nir else "",
        ins_oid=InsOid.TEST_NIR if with_nir else "",
        phone=f"01 99 00 {rng.randint(0, 99):02d} {rng.randint(0, 99):02d}",
        email=f"patient{rng.randint(1000, 999999)}@exemple.test" if rng.random() < 0.6 else "",
        address=f"{rng.randint(1, 120)} {rng.choice(STREETS)}, {rng.randint(10, 95)}000",
    )
