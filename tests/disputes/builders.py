"""Builders for disagreement tests: line managers for the walk's people, and a disagreement raised through the
service. Time is an argument, as in tests/builders.py."""

import datetime as dt

from agencies.models import AgencyType, RoleCode
from disputes import services
from disputes.access import get_disagreement_for_user
from disputes.models import Disagreement, Subject
from tests.builders import MONDAY_10AM
from tests.factories import AgencyFactory, UserFactory

RAISED = MONDAY_10AM + dt.timedelta(hours=3)  # Monday 23 November 2026, 13:00


def managed(world) -> dict:
    """Line managers as the demo has them: sw's is tm, tm's is hos; police's is a police sergeant; police and health
    each have a strategy discussion lead (a head of service); health's practitioner is managed by health's lead."""
    police_manager = UserFactory(
        username="police_manager", agency=world["police_agency"], roles=[RoleCode.POLICE_OFFICER]
    )
    police_lead = UserFactory(username="police_lead", agency=world["police_agency"], roles=[RoleCode.HEAD_OF_SERVICE])
    health_agency = world["health"].agency
    health_lead = UserFactory(username="health_lead", agency=health_agency, roles=[RoleCode.HEAD_OF_SERVICE])
    for person, manager in (
        (world["sw"], world["tm"]),
        (world["tm"], world["hos"]),
        (world["police"], police_manager),
        (world["health"], health_lead),
    ):
        person.line_manager = manager
        person.save()
    school = AgencyFactory(partnership=world["partnership"], name="Invented School", agency_type=AgencyType.EDUCATION)
    return {
        **world,
        "police_manager": police_manager,
        "police_lead": police_lead,
        "health_lead": health_lead,
        "school": school,
        "school_dsl": UserFactory(username="school_dsl", agency=school, roles=[RoleCode.EDUCATION_DSL]),
    }


def raise_(people, referral, *, by="police", with_person="sw", now=RAISED, **data) -> Disagreement:
    """A disagreement raised by `by` with `with_person` (of their agency) about the threshold unless told otherwise."""
    person = people[with_person] if with_person else None
    values = {
        "subject": Subject.THRESHOLD,
        "with_agency": person.agency if person else people["csc"],
        "with_person": person,
        "outcome_sought": "Invented: hold a strategy discussion.",
        **data,
    }
    return services.disagreement_raise(acting_user=people[by], referral=referral, data=values, now=now)


def record(people, disagreement, *, by, result, said="Invented: we talked it through.", now):
    checker = get_disagreement_for_user(people[by], disagreement.pk)
    return services.stage_record(acting_user=people[by], checker=checker, said=said, result=result, now=now)
