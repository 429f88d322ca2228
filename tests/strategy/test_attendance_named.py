"""Issue 25, item 4: attendance names the person. An invited agency's user attends with one click, or names a
colleague; a line marked attended names someone; one person is on one line."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from agencies.models import RoleCode
from strategy import services
from strategy.models import Attendance, Invitation
from tests.builders import case, checker, convene, health_agency, start
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _unnamed(world, referral=None):
    """Police and health invited by role, nobody named: as a convene page with proposals leaves them."""
    return convene(
        world,
        referral or case(world),
        invitations=[
            {"agency": world["police_agency"], "role": "Police officer", "proposal": "police"},
            {"agency": health_agency(world), "role": "Health practitioner", "proposal": "health"},
            {"agency": health_agency(world), "role": "Paediatrician", "proposal": "paediatrician"},
        ],
    )


def _meeting(client, discussion) -> str:
    return client.get(reverse("strategy:meeting", kwargs={"discussion_pk": discussion.pk})).content.decode()


def _post(client, discussion, data):
    url = reverse("strategy:attendance", kwargs={"discussion_pk": discussion.pk})
    discussion.refresh_from_db()
    return client.post(url, {"attendance-version": discussion.section_version("attendance"), **data})


def test_a_police_officer_attends_with_one_click_and_is_named_on_the_line(world, police_client):
    discussion = _unnamed(world)
    start(world, discussion)
    line = discussion.invitations.get(proposal="police")
    assert "I am attending for Invented Police" in _meeting(police_client, discussion)
    response = _post(police_client, discussion, {"attending": "1", "attendance-attending": line.pk})
    assert response.status_code == 302
    line.refresh_from_db()
    assert (line.person, line.attendance) == (world["police"], Attendance.ATTENDED)
    page = _meeting(police_client, discussion)
    assert "Police officer (to be named)" not in page
    assert "I am attending for" not in page  # on the list once: no second click, no second line
    assert line.history.first().history_user == world["police"]


def test_a_user_of_another_agency_cannot_attend_on_its_line(world, police_client):
    discussion = _unnamed(world)
    health_line = discussion.invitations.get(proposal="health")
    response = _post(police_client, discussion, {"attending": "1", "attendance-attending": health_line.pk})
    assert response.status_code == 403
    health_line.refresh_from_db()
    assert health_line.person is None


def test_health_names_a_colleague_and_the_paediatrician_stays_its_own_line(world):
    discussion = _unnamed(world)
    colleague = UserFactory(username="paed", agency=health_agency(world), roles=[RoleCode.HEALTH_PRACTITIONER])
    health_line = discussion.invitations.get(proposal="health")
    paediatrician = discussion.invitations.get(proposal="paediatrician")
    services.attendance_save(
        acting_user=world["health"],
        checker=checker(world["health"], discussion),
        rows={health_line.pk: (Attendance.ATTENDED, False), paediatrician.pk: (Attendance.INVITED, False)},
        names={health_line.pk: (world["health"], ""), paediatrician.pk: (colleague, "")},
        version=None,
    )
    health_line.refresh_from_db()
    paediatrician.refresh_from_db()
    assert (health_line.person, health_line.attendance) == (world["health"], Attendance.ATTENDED)
    assert (paediatrician.person, paediatrician.attendance) == (colleague, Attendance.ATTENDED)
    assert discussion.invitations.filter(agency=health_agency(world), status="invited").count() == 2


def test_one_person_is_never_on_two_lines(world):
    discussion = _unnamed(world)
    health_line = discussion.invitations.get(proposal="health")
    paediatrician = discussion.invitations.get(proposal="paediatrician")
    services.invitation_attend(
        acting_user=world["health"],
        checker=checker(world["health"], discussion),
        invitation_pk=health_line.pk,
        version=None,
    )
    with pytest.raises(ValidationError) as refused:
        services.attendance_save(
            acting_user=world["health"],
            checker=checker(world["health"], discussion),
            rows={paediatrician.pk: (Attendance.ATTENDED, False)},
            names={paediatrician.pk: (world["health"], "")},
            version=None,
        )
    (message,) = refused.value.message_dict[f"person_{paediatrician.pk}"]
    assert message.endswith("is already on the attendance list, as health practitioner")
    paediatrician.refresh_from_db()
    assert (paediatrician.person, paediatrician.attendance) == (None, Attendance.INVITED)


def test_a_line_marked_attended_must_name_who_attended_on_the_page(world, tm_client):
    discussion = _unnamed(world)
    line = discussion.invitations.get(proposal="police")
    data = {f"attendance-attendance_{i.pk}": i.attendance for i in discussion.invitations.filter(status="invited")}
    data[f"attendance-attendance_{line.pk}"] = Attendance.ATTENDED
    response = _post(tm_client, discussion, data)
    assert response.status_code == 400
    page = response.content.decode()
    assert f'href="#id_attendance-person_{line.pk}"' in page
    assert "Name who attended for Invented Police as police officer" in page
    assert Invitation.objects.get(pk=line.pk).attendance == Attendance.INVITED
    data[f"attendance-contact_{line.pk}"] = "DC Invented Colleague"
    assert _post(tm_client, discussion, data).status_code == 302
    line.refresh_from_db()
    assert (line.contact_name, line.attendance) == ("DC Invented Colleague", Attendance.ATTENDED)
    assert "DC Invented Colleague" in _meeting(tm_client, discussion)
