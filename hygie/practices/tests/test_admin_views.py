"""Team administration and the audit log: admins only, and every change audited."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from hygie.accounts.models import User, UserSession
from hygie.audit.enums import AuditEventType
from hygie.audit.models import AuditEvent
from hygie.practices.enums import Role
from hygie.practices.models import Membership
from tests.cast import login

pytestmark = pytest.mark.django_db


def admin_client(cast) -> Client:
    return login(Client(), cast.ernest.user)


@pytest.mark.parametrize("who", ["alice", "bob", "denise", "carla"])
def test_non_admins_are_refused_the_team_and_the_audit_log(cast, who):
    client = login(Client(), getattr(cast, who).user)
    for url in (
        reverse("practices:members"),
        reverse("practices:audit_log"),
        reverse("practices:member_add"),
    ):
        assert client.get(url).status_code == 403


def test_the_admin_adds_a_practitioner_and_gets_a_one_time_enrolment_link(cast):
    response = admin_client(cast).post(
        reverse("practices:member_add"),
        {
            "email": "nina.noel@a.test",
            "first_name": "Nina",
            "last_name": "Noël",
            "role": Role.PRACTITIONER,
            "rpps": "19999990096",
            "profession": "10",
            "specialty": "SM54",
            "start_date": "",
            "end_date": "",
        },
    )
    assert response.status_code == 200
    assert "/comptes/password/reset/key/" in response.context["link"]
    user = User.objects.get(email="nina.noel@a.test")
    assert not user.has_usable_password()
    assert Membership.objects.get(user=user).role == Role.PRACTITIONER


def test_a_practitioner_with_a_bad_rpps_is_refused_and_nothing_is_created(cast):
    response = admin_client(cast).post(
        reverse("practices:member_add"),
        {
            "email": "nina.noel@a.test",
            "role": Role.PRACTITIONER,
            "rpps": "19999990097",
            "profession": "10",
            "specialty": "",
        },
    )
    assert response.status_code == 200
    assert "clé de contrôle" in response.content.decode()
    assert not User.objects.filter(email="nina.noel@a.test").exists()


def test_the_admin_ends_a_membership_and_its_sessions_are_closed(cast):
    alice_client = login(Client(), cast.alice.user)
    response = admin_client(cast).post(
        reverse("practices:member_end", args=[cast.alice.pk]), {"reason": "départ"}
    )
    assert response.status_code == 302
    assert not UserSession.objects.filter(user=cast.alice.user, revoked_at=None).exists()
    assert alice_client.get(reverse("patients:list")).status_code == 302


def test_an_admin_cannot_touch_a_membership_of_another_practice(cast):
    response = admin_client(cast).post(
        reverse("practices:member_end", args=[cast.carla.pk]), {"reason": "x"}
    )
    assert response.status_code == 404
    cast.carla.refresh_from_db()
    assert cast.carla.ended_at is None


def test_a_role_change_is_audited_and_closes_open_sessions(cast):
    bob_client = login(Client(), cast.bob.user)
    admin_client(cast).post(
        reverse("practices:member_detail", args=[cast.denise.pk]),
        {"role": Role.ASSISTANT, "is_admin": "on"},
    )
    assert AuditEvent.objects.filter(event_type=AuditEventType.ROLE_CHANGED).exists()
    assert bob_client.get(reverse("patients:list")).status_code == 200


def test_the_audit_log_filters_by_user_and_is_itself_audited(cast):
    login(Client(), cast.alice.user).get(reverse("patients:detail", args=[cast.patient.pk]))
    response = admin_client(cast).get(reverse("practices:audit_log"), {"user": "alice@a.test"})
    assert response.status_code == 200
    labels = {e.user_label for e in response.context["page"]}
    assert labels == {"alice@a.test"}
    assert AuditEvent.objects.filter(event_type=AuditEventType.AUDIT_LOG_VIEWED).exists()


def test_the_audit_log_never_shows_another_practice(cast):
    login(Client(), cast.carla.user).get(reverse("patients:list"), {"q": "x"})
    response = admin_client(cast).get(reverse("practices:audit_log"))
    assert "carla@b.test" not in {e.user_label for e in response.context["page"]}


def test_a_user_with_two_practices_chooses_one(cast):
    from hygie.practices.actions import do_add_member
    from tests.cast import SETUP

    do_add_member(cast.practice_b, cast.alice.user, role=Role.PRACTITIONER, source=SETUP)
    client = login(Client(), cast.alice.user)
    assert client.get(reverse("patients:list"))["Location"] == reverse("practices:switch")
    client.post(reverse("practices:switch"), {"practice": str(cast.practice_b.pk)})
    assert client.get(reverse("patients:detail", args=[cast.patient.pk])).status_code == 404
    client.post(reverse("practices:switch"), {"practice": str(cast.practice_a.pk)})
    assert client.get(reverse("patients:detail", args=[cast.patient.pk])).status_code == 200


def test_reactivation_needs_an_admin_and_a_new_enrolment(cast):
    from allauth.mfa.models import Authenticator

    from hygie.accounts.actions import do_deactivate_user
    from tests.cast import SETUP, enrol_totp

    enrol_totp(cast.bob.user)
    do_deactivate_user(cast.bob.user, reason="dormant", source=SETUP)
    url = reverse("practices:member_reactivate", args=[cast.bob.pk])
    assert login(Client(), cast.alice.user).post(url).status_code == 403
    response = admin_client(cast).post(url)
    assert response.status_code == 200
    assert "/comptes/password/reset/key/" in response.context["link"]
    bob = User.objects.get(pk=cast.bob.user.pk)
    assert bob.is_active
    assert not bob.has_usable_password()
    assert not Authenticator.objects.filter(user=bob).exists()
    assert AuditEvent.objects.filter(
        event_type=AuditEventType.ACCOUNT_REACTIVATED, entity_id=str(bob.pk)
    ).exists()


def test_an_admin_cannot_take_over_an_account_of_another_practice(cast):
    """The review's attack: add a deactivated doctor of practice B to practice A,
    then "reactivate" them to obtain their enrolment link."""
    from hygie.accounts.actions import do_deactivate_user
    from tests.cast import SETUP

    do_deactivate_user(cast.carla.user, reason="dormant", source=SETUP)
    response = admin_client(cast).post(
        reverse("practices:member_add"), {"email": "carla@b.test", "role": Role.ASSISTANT}
    )
    assert response.status_code == 200
    assert "autre cabinet" in response.content.decode()
    assert not Membership.objects.filter(practice=cast.practice_a, user=cast.carla.user).exists()


def test_an_admin_cannot_reactivate_an_account_that_belongs_elsewhere(cast):
    from hygie.accounts.actions import do_deactivate_user
    from hygie.practices.actions import do_add_member
    from tests.cast import SETUP

    do_add_member(cast.practice_a, cast.carla.user, role=Role.ASSISTANT, source=SETUP)
    do_deactivate_user(cast.carla.user, reason="dormant", source=SETUP)
    membership = Membership.objects.get(practice=cast.practice_a, user=cast.carla.user)
    response = admin_client(cast).post(reverse("practices:member_reactivate", args=[membership.pk]))
    assert response.status_code == 302
    assert not User.objects.get(pk=cast.carla.user.pk).is_active


def test_an_admin_cannot_rewrite_a_practitioners_rpps(cast):
    from hygie.practices.actions import do_set_practitioner
    from hygie.practices.models import Practitioner
    from tests.cast import SETUP, make_user

    # A practitioner who belongs to no practice yet: the RPPS is still theirs.
    nina = make_user("nina@nowhere.test", "Nina", "Noël")
    do_set_practitioner(nina, rpps="19999990070", source=SETUP)
    response = admin_client(cast).post(
        reverse("practices:member_add"),
        {
            "email": "nina@nowhere.test",
            "role": Role.PRACTITIONER,
            "rpps": "19999990062",
            "profession": "10",
        },
    )
    assert "autre numéro RPPS" in response.content.decode()
    assert Practitioner.objects.get(user=nina).rpps == "19999990070"
