"""Staff administration: supervisors list, create, change role, deactivate and
reactivate staff and reset passwords; every change audited; others refused."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from ratepayer.staff import actions, roles
from ratepayer.staff.errors import PermissionRefused, StaffError
from ratepayer.staff.models import AuditEvent
from tests.factories import PASSWORD

User = get_user_model()


def _snapshot():
    return (list(User.objects.order_by("pk").values_list("pk", "username", "is_active", "password")),
            sorted(User.groups.through.objects.values_list("user_id", "group_id")),
            AuditEvent.objects.filter(action__startswith="user.").count())


def test_supervisor_creates_a_user_with_a_role_and_a_one_time_password(client, users):
    client.force_login(users["supervisor"])
    response = client.post("/staff/", {"username": "mlopez", "first_name": "María", "last_name": "López",
                                       "email": "mlopez@example.org", "role": roles.SPECIALIST})
    assert response.status_code == 200
    html = response.content.decode()
    password = response.context["temporary_password"]
    assert password in html and "shown only now" in html
    created = User.objects.get(username="mlopez")
    assert created.check_password(password) and actions.permissions.roles_of(created) == [roles.SPECIALIST]
    event = AuditEvent.objects.get(action="user.created", object_id=str(created.pk))
    assert event.user == users["supervisor"] and password not in str(event.after) + event.summary
    assert client.login(username="mlopez", password=password)


def test_a_taken_username_or_missing_role_is_a_form_error_and_changes_nothing(client, users):
    client.force_login(users["supervisor"])
    before = _snapshot()
    response = client.post("/staff/", {"username": "Specialist", "role": roles.SPECIALIST})
    assert response.status_code == 400 and "already taken" in response.content.decode()
    response = client.post("/staff/", {"username": "newbie", "role": ""})
    assert response.status_code == 400
    response = client.post("/staff/", {"username": "bad name!", "role": roles.SPECIALIST})
    assert response.status_code == 400 and "letters, digits" in response.content.decode()
    assert _snapshot() == before


def test_change_role_deactivate_reactivate_and_reset_password(client, users):
    target = users["specialist"]
    client.force_login(users["supervisor"])
    url = reverse("staff:staff_user", args=[target.pk])
    assert client.post(url, {"op": "role", "role": roles.SENIOR}).status_code == 302
    assert actions.permissions.roles_of(User.objects.get(pk=target.pk)) == [roles.SENIOR]

    other = client.__class__()
    assert other.login(username="specialist", password=PASSWORD)
    response = client.post(url, {"op": "deactivate", "reason": ""})
    assert response.status_code == 400 and "say why" in response.content.decode()
    assert client.post(url, {"op": "deactivate", "reason": "left the utility"}).status_code == 302
    assert not User.objects.get(pk=target.pk).is_active
    assert other.get("/").status_code == 302  # their open session no longer works
    assert not other.login(username="specialist", password=PASSWORD)
    assert client.post(url, {"op": "reactivate"}).status_code == 302
    assert User.objects.get(pk=target.pk).is_active

    response = client.post(url, {"op": "reset_password"})
    password = response.context["temporary_password"]
    assert password in response.content.decode()
    assert not other.login(username="specialist", password=PASSWORD)
    assert other.login(username="specialist", password=password)
    actions_seen = list(AuditEvent.objects.filter(object_type="auth.user", object_id=str(target.pk))
                        .exclude(action="user.created").order_by("id").values_list("action", "user__username"))
    assert actions_seen == [("user.role_changed", "supervisor"), ("user.deactivated", "supervisor"),
                            ("user.reactivated", "supervisor"), ("user.password_reset", "supervisor")]
    html = client.get(url).content.decode()
    assert "user.password_reset" in html and password not in html  # shown once only


def test_nobody_changes_their_own_account_here(client, users):
    me = users["supervisor"]
    before = _snapshot()
    for call in (lambda: actions.set_staff_role(user=me, role=roles.SPECIALIST, by=me),
                 lambda: actions.set_staff_active(user=me, active=False, reason="x", by=me),
                 lambda: actions.reset_staff_password(user=me, by=me)):
        with pytest.raises(StaffError, match="ask another supervisor"):
            call()
    assert _snapshot() == before


@pytest.mark.parametrize("name", ["specialist", "senior", "auditor", "assistant"])
def test_other_roles_are_refused_and_nothing_changes(client, users, name):
    target = users["specialist2"]
    client.force_login(users[name])
    before = _snapshot()
    assert client.get("/staff/").status_code == 403
    assert client.post("/staff/", {"username": "sneaky", "role": roles.SUPERVISOR}).status_code == 403
    url = reverse("staff:staff_user", args=[target.pk])
    assert client.get(url).status_code == 403
    for data in ({"op": "role", "role": roles.SUPERVISOR}, {"op": "deactivate", "reason": "x"},
                 {"op": "reset_password"}):
        assert client.post(url, data).status_code == 403
    assert _snapshot() == before
    with pytest.raises(PermissionRefused):
        actions.set_staff_role(user=target, role=roles.SUPERVISOR, by=users[name])
    with pytest.raises(PermissionRefused):
        actions.reset_staff_password(user=target, by=users[name])
    assert _snapshot() == before
    assert 'href="/staff/"' not in client.get("/").content.decode()


def test_the_staff_page_lists_everyone_and_the_limits_in_few_queries(client, users,
                                                                      django_assert_max_num_queries):
    client.force_login(users["supervisor"])
    with django_assert_max_num_queries(10):
        html = client.get("/staff/").content.decode()
    for username in users:
        assert f'id="staff-{username}"' in html
    assert "Approval limits per role" in html and "250.00" in html  # a specialist's adjustment limit
    assert 'href="/staff/"' in client.get("/").content.decode()


def test_a_person_changes_their_own_password(client, users):
    client.force_login(users["assistant"])
    response = client.post("/password/", {"old_password": PASSWORD, "new_password1": "Larch-Meadow-2291",
                                          "new_password2": "Larch-Meadow-2291"})
    assert response.status_code == 302
    assert User.objects.get(pk=users["assistant"].pk).check_password("Larch-Meadow-2291")
    assert AuditEvent.objects.filter(action="user.password_changed", user=users["assistant"]).exists()
