"""Every patient page, allowed and denied, through the whole middleware stack."""

from __future__ import annotations

import re
import uuid

import pytest
from django.test import Client
from django.urls import reverse

from hygie.audit.enums import AuditEventType
from hygie.audit.models import AuditEvent
from hygie.patients.enums import IdentityStatus
from hygie.patients.models import Patient
from tests.cast import login

pytestmark = pytest.mark.django_db

NEW_PATIENT = {
    "birth_family_name": "Rivière",
    "birth_given_names": "Paul André",
    "birth_date": "1990-06-15",
    "sex": "male",
    "birthplace_insee": "69123",
    "nir": "",
    "ins_oid": "",
    "used_family_name": "",
    "used_given_name": "",
    "phone": "01 99 00 55 66",
    "email": "",
    "address": "",
}


def without_csrf(body: bytes) -> bytes:
    """CSRF tokens are masked afresh in every response; nothing else may differ."""
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", body)


def client_for(user) -> Client:
    return login(Client(), user)


def detail(patient) -> str:
    return reverse("patients:detail", args=[patient.pk])


def test_the_treating_doctor_sees_identity_and_has_the_record_open(cast):
    response = client_for(cast.alice.user).get(detail(cast.patient))
    assert response.status_code == 200
    assert "LEFÈVRE" in response.content.decode()
    assert response.context["clinical"].allowed


def test_a_colleague_sees_the_break_glass_button_not_the_record(cast):
    response = client_for(cast.bob.user).get(detail(cast.patient))
    assert response.status_code == 200
    assert not response.context["clinical"].allowed
    assert reverse("patients:break_glass", args=[cast.patient.pk]) in response.content.decode()


def test_a_colleague_breaks_the_glass_with_a_reason(cast, mailoutbox):
    client = client_for(cast.bob.user)
    url = reverse("patients:break_glass", args=[cast.patient.pk])
    response = client.post(url, {"reason": "Patiente vue en urgence, médecin absente"})
    assert response.status_code == 302
    assert client.get(detail(cast.patient)).context["clinical"].allowed


def test_a_short_break_glass_reason_is_refused_with_a_message(cast):
    url = reverse("patients:break_glass", args=[cast.patient.pk])
    response = client_for(cast.bob.user).post(url, {"reason": "vite"})
    assert response.status_code == 200
    assert "10 caractères" in response.content.decode()
    assert not AuditEvent.objects.filter(
        event_type=AuditEventType.BREAK_GLASS, patient_id=cast.patient.pk
    ).exists()


def test_the_assistant_sees_identity_without_clinical_access(cast):
    response = client_for(cast.denise.user).get(detail(cast.patient))
    assert response.status_code == 200
    assert not response.context["clinical"].allowed
    assert not response.context["clinical"].can_break_glass


@pytest.mark.parametrize(
    "name",
    [
        "patients:detail",
        "patients:edit",
        "patients:identity_check",
        "patients:break_glass",
        "patients:access_history",
    ],
)
def test_another_practice_gets_the_same_404_as_for_a_missing_patient(cast, name):
    client = client_for(cast.carla.user)
    existing = client.get(reverse(name, args=[cast.patient.pk]))
    missing = client.get(reverse(name, args=[uuid.uuid4()]))
    assert existing.status_code == missing.status_code == 404
    assert without_csrf(existing.content) == without_csrf(missing.content)


def test_the_office_manager_cannot_open_a_patient(cast):
    assert client_for(cast.ernest.user).get(detail(cast.patient)).status_code == 404


def test_an_anonymous_visitor_is_sent_to_login(cast):
    response = Client().get(detail(cast.patient))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_a_session_without_second_factor_is_sent_to_enrol(cast):
    client = Client()
    client.force_login(cast.alice.user)
    response = client.get(detail(cast.patient))
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:mfa_required")
    assert not AuditEvent.objects.filter(
        event_type=AuditEventType.PATIENT_READ, user_id=cast.alice.user.pk
    ).exists()


def test_search_by_name_prefix_lists_the_patient(cast):
    response = client_for(cast.denise.user).get(reverse("patients:list"), {"q": "lefe"})
    assert list(response.context["patients"]) == [cast.patient]


def test_search_answers_htmx_with_the_results_fragment(cast):
    response = client_for(cast.denise.user).get(
        reverse("patients:list"), {"q": "jean"}, HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert "<html" not in body
    assert "LEFÈVRE" in body


def test_search_by_birth_date_and_nir(cast):
    client = client_for(cast.alice.user)
    by_date = client.get(reverse("patients:list"), {"birth_date": "12/03/1984"})
    by_nir = client.get(reverse("patients:list"), {"nir": "2 84 03 75 112 001 49"})
    assert list(by_date.context["patients"]) == [cast.patient]
    assert list(by_nir.context["patients"]) == [cast.patient]


def test_the_office_manager_cannot_search(cast):
    response = client_for(cast.ernest.user).get(reverse("patients:list"), {"q": "lefe"})
    assert response.status_code == 403


def test_an_assistant_creates_a_patient_with_a_provisional_identity(cast):
    response = client_for(cast.denise.user).post(reverse("patients:create"), NEW_PATIENT)
    assert response.status_code == 302
    patient = Patient.objects.get(pk=response["Location"].rstrip("/").split("/")[-1])
    assert patient.birth_family_name == "RIVIÈRE"
    assert patient.identity_status == IdentityStatus.PROVISIONAL
    assert AuditEvent.objects.filter(
        event_type=AuditEventType.PATIENT_CREATED, patient_id=patient.pk
    ).exists()


def test_bad_input_gets_a_message_per_field_and_creates_nothing(cast):
    bad = NEW_PATIENT | {
        "nir": "190067512300199",
        "birthplace_insee": "7512",
        "birth_family_name": "R2D2",
    }
    response = client_for(cast.denise.user).post(reverse("patients:create"), bad)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert {"nir", "birthplace_insee", "birth_family_name"} <= set(errors)
    assert Patient.objects.count() == 1


def test_a_likely_duplicate_is_shown_before_saving(cast):
    twin = NEW_PATIENT | {
        "birth_family_name": "Lefevre",
        "birth_given_names": "Jeanne",
        "birth_date": "1984-03-12",
        "sex": "female",
    }
    client = client_for(cast.denise.user)
    response = client.post(reverse("patients:create"), twin)
    assert response.status_code == 200
    assert [p.pk for p in response.context["duplicates"]] == [cast.patient.pk]
    assert Patient.objects.count() == 1
    confirmed = client.post(reverse("patients:create"), twin | {"confirm_distinct": "on"})
    assert confirmed.status_code == 302
    assert Patient.objects.count() == 2


def test_a_document_check_and_ins_retrieval_qualify_the_identity(cast):
    client = client_for(cast.denise.user)
    url = reverse("patients:identity_check", args=[cast.patient.pk])
    client.post(url, {"document": "PASSEPORT"})
    cast.patient.refresh_from_db()
    assert cast.patient.identity_status == IdentityStatus.VALIDATED
    client.post(url, {"ins_retrieved": "on"})
    cast.patient.refresh_from_db()
    assert cast.patient.identity_status == IdentityStatus.QUALIFIED


def test_a_low_trust_document_does_not_validate_an_adult_identity(cast):
    url = reverse("patients:identity_check", args=[cast.patient.pk])
    response = client_for(cast.denise.user).post(url, {"document": "CARTE_VITALE"})
    assert "haut niveau de confiance" in response.content.decode()
    cast.patient.refresh_from_db()
    assert cast.patient.identity_status == IdentityStatus.PROVISIONAL


def test_editing_a_strict_trait_sends_a_qualified_identity_back_to_provisional(cast):
    client = client_for(cast.denise.user)
    check = reverse("patients:identity_check", args=[cast.patient.pk])
    client.post(check, {"document": "PASSEPORT", "ins_retrieved": "on"})
    edit = reverse("patients:edit", args=[cast.patient.pk])
    form = client.get(edit).context["form"]
    data = {
        k: (v.isoformat() if hasattr(v, "isoformat") else v or "") for k, v in form.initial.items()
    }
    client.post(edit, data | {"birth_given_names": "Jeanne Maria"})
    cast.patient.refresh_from_db()
    assert cast.patient.birth_given_names == "Jeanne Maria"
    assert cast.patient.identity_status == IdentityStatus.PROVISIONAL


def test_the_access_history_lists_who_read_the_record(cast):
    client_for(cast.alice.user).get(detail(cast.patient))
    cast.denise.is_admin = True
    cast.denise.save()
    response = client_for(cast.denise.user).get(
        reverse("patients:access_history", args=[cast.patient.pk])
    )
    assert response.status_code == 200
    assert "alice@a.test" in response.content.decode()


def test_the_patient_page_query_count_stays_flat(cast, django_assert_max_num_queries):
    client = client_for(cast.alice.user)
    client.get(detail(cast.patient))
    # Session, user, tracked session, MFA, membership; patient, policy, audit (3).
    with django_assert_max_num_queries(15):
        client.get(detail(cast.patient))


def test_the_search_query_count_does_not_grow_with_results(cast, django_assert_max_num_queries):
    from hygie.patients.actions import do_create_patient
    from hygie.practices.context import as_system
    from tests.cast import identity

    for given in ("Jeanne", "Jeannette", "Jeanine", "Jean"):
        do_create_patient(
            as_system(cast.practice_a, "t"),
            identity(
                birth_given_names=given,
                nir="",
                ins_oid="",
                birth_date=__import__("datetime").date(1950, 1, 1),
            ),
        )
    client = client_for(cast.denise.user)
    client.get(reverse("patients:list"))  # the first request chooses the practice
    # With 5 patients shown as with 50: the search and their reads are one append.
    with django_assert_max_num_queries(12):
        response = client.get(reverse("patients:list"), {"q": "jea"})
    assert len(response.context["patients"]) == 5


def test_the_access_history_is_for_practice_admins_only(cast, mailoutbox):
    from hygie.patients.actions import do_break_glass
    from tests.cast import actor_of

    do_break_glass(actor_of(cast.bob), cast.patient, "Suspicion clinique grave, aux urgences")
    url = reverse("patients:access_history", args=[cast.patient.pk])
    assert client_for(cast.denise.user).get(url).status_code == 403
    assert client_for(cast.bob.user).get(url).status_code == 403


DUPLICATE_PROBE = NEW_PATIENT | {
    "birth_family_name": "Lefevre",
    "birth_given_names": "X",
    "birth_date": "1984-03-12",
    "sex": "female",
}


def test_the_office_manager_cannot_read_identities_through_the_duplicate_check(cast):
    response = client_for(cast.ernest.user).post(reverse("patients:create"), DUPLICATE_PROBE)
    assert response.status_code == 403
    assert "LEFÈVRE" not in response.content.decode()


def test_an_objection_also_hides_the_patient_from_the_duplicate_check(cast):
    from hygie.patients.actions import do_restrict_access
    from tests.cast import actor_of

    do_restrict_access(actor_of(cast.ernest), cast.patient, cast.bob.user, "refus du patient")
    response = client_for(cast.bob.user).post(reverse("patients:create"), DUPLICATE_PROBE)
    assert "LEFÈVRE" not in response.content.decode()
