"""Forms for logging and editing a referral. They parse input; the services check the rules and write.

`ReferralForms` binds the page's form and its three lists of people together, hands the
parsed values to the service, and routes each error the service raises back to its field.
"""

import datetime as dt
import uuid
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict

from agencies.models import Agency, Partnership, User
from core.forms import (
    BoundedFormSet,
    GovDateField,
    GovFormMixin,
    GovRadios,
    GovTextarea,
    GovTimeField,
    add_service_errors,
    field_label,
    local_moment,
    quiet,
    worded,
)
from core.templatetags.govuk import anchor_id
from core.timescales import LONDON, to_local
from referrals import rules
from referrals.models import ConcernCategory, EducationStatus, PersonKind, Plan, Referral, Urgency
from referrals.services import (
    CHILD_FIELDS,
    DRAFT_TASK_TITLES,
    DRAFT_TASKS,
    MAX_PEOPLE_PER_GROUP,
    OTHER_PERSON_FIELDS,
    PERSON_FIELDS,
    draft_task_of,
)

YES_NO = [("yes", "Yes"), ("no", "No")]


def _yes_no(value: str) -> bool | None:
    return {"yes": True, "no": False}.get(value)


class ReferralForm(GovFormMixin, forms.Form):
    submission_key = forms.UUIDField(widget=forms.HiddenInput, required=False)
    received_date = GovDateField(
        label="Date received", help_text="For example, 23 11 2026", not_future=rules.RECEIVED_IN_FUTURE
    )
    received_time = GovTimeField(
        label="Time received", what="the referral was received", help_text="Use the 24-hour clock, for example 14:30"
    )
    referrer_name = forms.CharField(
        label="Referrer's name",
        max_length=200,
        error_messages={"required": "Enter the name of the person who made the referral"},
    )
    referrer_agency = forms.ModelChoiceField(
        label="Referrer's agency",
        queryset=Agency.objects.none(),
        required=False,
        empty_label="Not one of the partnership's agencies",
        help_text="Choose the agency so it can be invited to the strategy discussion",
        error_messages={"invalid_choice": "Select the referrer's agency from the list"},
    )
    referrer_organisation = forms.CharField(
        label="Or, if not an agency of the partnership",
        max_length=200,
        required=False,
        help_text="For example, member of the public, or the name of the organisation",
    )
    referrer_contact = forms.CharField(
        label="Referrer's contact details",
        max_length=200,
        required=False,
        help_text="Telephone number or work email address",
    )
    concerns = forms.MultipleChoiceField(
        label="Concern categories",
        choices=ConcernCategory.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="Select all that apply",
        error_messages={
            "required": "Select at least one concern category",
            "invalid_choice": "Select concern categories from the list",
        },
    )
    non_mobile_infant_injury = forms.TypedChoiceField(
        label="Is this an injury to a non-mobile infant?",
        choices=YES_NO,
        coerce=_yes_no,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
        help_text="Answer when a child is under six months old or not yet mobile and the concern is physical harm. "
        "If yes, the case cannot be closed without a strategy discussion.",
        error_messages={"invalid_choice": "Select yes or no"},
    )
    urgency = forms.ChoiceField(
        label="Urgency",
        choices=Urgency.choices,
        widget=forms.RadioSelect,
        help_text="This sets the deadline for the strategy discussion. Sexual abuse where forensic evidence may be "
        "lost, or an injury to a non-mobile infant: same day, unless you give the reason below",
        error_messages={
            "required": "Select the urgency",
            "invalid_choice": "Select the urgency from the list",
        },
    )
    urgency_reason = GovTextarea(
        label="Why a longer timescale than same day (if you chose one)",
        required=False,
        help_text="Only when the concern includes sexual abuse where forensic evidence may be lost, or an injury to "
        "a non-mobile infant, and the urgency is not same day",
    )
    immediate_action_taken = forms.BooleanField(
        label="An agency has already taken immediate protective action",
        required=False,
        widget=forms.CheckboxInput(attrs={"data-aria-controls": "immediate-action-details"}),
    )
    immediate_action_agency = forms.ModelChoiceField(
        label="Which agency took the action",
        queryset=Agency.objects.none(),
        required=False,
        empty_label="Select an agency",
        error_messages={"invalid_choice": "Select the agency from the list"},
    )
    immediate_action_details = GovTextarea(label="What the agency did", rows=3, required=False)
    concern_summary = GovTextarea(
        label="The concern",
        max_length=20000,
        rows=6,
        help_text="What was reported, by whom, and what is known so far",
        message="Describe the concern",
    )
    allocated_social_worker = forms.ModelChoiceField(
        label="Allocated social worker",
        queryset=User.objects.none(),
        required=False,
        empty_label="Whoever logs the referral",
        help_text="Responsible for the strategy discussion deadline",
        error_messages={"invalid_choice": "Select the social worker from the list"},
    )

    def __init__(self, *args, partnership: Partnership, received_at: dt.datetime | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.original_received_at = received_at  # when editing: what is stored now
        agencies = Agency.objects.filter(partnership=partnership)
        cast(forms.ModelChoiceField, self.fields["immediate_action_agency"]).queryset = agencies
        cast(forms.ModelChoiceField, self.fields["referrer_agency"]).queryset = agencies
        cast(forms.ModelChoiceField, self.fields["allocated_social_worker"]).queryset = User.objects.allocatable(
            partnership.pk
        ).order_by("first_name", "last_name")

    def clean(self) -> dict:
        super().clean()
        data = self.cleaned_data
        day, time = data.get("received_date"), data.get("received_time")
        original = self.original_received_at and to_local(self.original_received_at)
        if (
            day
            and time
            and original
            and (day, time) == (original.date(), original.time().replace(second=0, microsecond=0))
        ):
            # Unchanged on an edit: keep the stored moment (seconds included), so its age is not checked again.
            data["received_at"] = self.original_received_at
        elif day and time:
            received_at = dt.datetime.combine(day, time, tzinfo=LONDON)
            if received_at.astimezone(dt.UTC).astimezone(LONDON).time() != time:
                self.add_error(
                    "received_time",
                    "That time did not happen on that date because the clocks went forward: check the time",
                )
            data["received_at"] = received_at
        return data


class PersonForm(GovFormMixin, forms.Form):
    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    kind = GovRadios(
        label="Who they are",
        choices=[
            (PersonKind.ALLEGED_ABUSER.value, "Alleged abuser"),
            (PersonKind.SIGNIFICANT_ADULT.value, "Other significant adult"),
        ],
        message="Select who this person is",
    )
    first_name = forms.CharField(label="First name", max_length=100, required=False)
    last_name = forms.CharField(label="Last name", max_length=100, required=False)
    aliases = forms.CharField(label="Other names or aliases", max_length=200, required=False)
    date_of_birth = GovDateField(
        label="Date of birth", required=False, help_text="Leave blank if not known", not_future=rules.BORN_IN_FUTURE
    )
    unborn = forms.BooleanField(label="Unborn child", required=False)
    expected_date = GovDateField(
        label="Expected date of birth", required=False, help_text="For an unborn child, for example 3 4 2027"
    )
    relationship = forms.CharField(label="Relationship", max_length=100, required=False)
    address = GovTextarea(label="Address", rows=3, required=False, max_length=500)
    under_18 = forms.BooleanField(
        label="This person is a child (under 18)",
        required=False,
        help_text="A child who is an alleged abuser needs a strategy discussion of their own",
    )
    works_with_children = forms.BooleanField(
        label="Works or volunteers with children",
        required=False,
        help_text="The designated officer (LADO) may need to be told",
    )
    nhs_number = forms.CharField(
        label="NHS number", max_length=14, required=False, help_text="10 digits, for example 999 000 0018"
    )
    not_yet_mobile = forms.BooleanField(label="Not yet mobile (cannot crawl or walk)", required=False)
    education_status = forms.ChoiceField(
        label="Education",
        choices=[("", "Not known"), *EducationStatus.choices],
        required=False,
        error_messages={"invalid_choice": "Select the child's education from the list"},
    )
    education_setting = forms.CharField(
        label="School, nursery or college", max_length=200, required=False, help_text="Name of the setting"
    )
    gp = forms.CharField(label="GP practice", max_length=200, required=False)
    health_visitor_or_school_nurse = forms.CharField(
        label="Health visitor or school nurse", max_length=200, required=False
    )
    plan = forms.ChoiceField(
        label="Plan",
        choices=[("", "Not on a plan"), *Plan.choices],
        required=False,
        error_messages={"invalid_choice": "Select the plan from the list"},
    )
    looked_after = forms.BooleanField(label="Looked-after child", required=False)
    placement = forms.CharField(
        label="Placement", max_length=200, required=False, help_text="For a looked-after child: where they live"
    )
    responsible_authority = forms.CharField(
        label="Responsible authority", max_length=200, required=False, help_text="For a looked-after child"
    )
    previous_authority = forms.CharField(
        label="Previous local authority",
        max_length=200,
        required=False,
        help_text="For a child new to the area: the council where they lived before",
    )
    in_hospital = forms.BooleanField(label="In hospital now", required=False)
    hospital = forms.CharField(label="Hospital and ward", max_length=200, required=False)
    disability = forms.BooleanField(label="Has a disability", required=False)
    first_language = forms.CharField(label="First language", max_length=100, required=False)
    interpreter_needed = forms.BooleanField(label="Needs an interpreter", required=False)
    communication_needs = forms.CharField(label="Communication needs", max_length=500, required=False)
    ethnicity = forms.CharField(label="Ethnicity", max_length=100, required=False, help_text="Where known")
    religion = forms.CharField(label="Religion", max_length=100, required=False, help_text="Where known")

    CHILD_ONLY = CHILD_FIELDS
    OTHERS_ONLY = ("kind", *OTHER_PERSON_FIELDS)

    def __init__(self, *args, kind: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.person_kind = kind  # not `kind`: templates read f.kind as the field of that name
        if kind == PersonKind.CHILD:
            self.fields["first_name"].help_text = "Leave blank for an unborn child who has no name yet"
            self.fields["relationship"].help_text = "For example, subject child, sibling"
            drop: tuple[str, ...] = self.OTHERS_ONLY
        elif kind == PersonKind.HOUSEHOLD:
            self.fields["relationship"].help_text = "Relationship to the children, for example mother, mother's partner"
            drop = self.CHILD_ONLY + self.OTHERS_ONLY
        else:
            self.fields["relationship"].help_text = "Relationship to the children, for example uncle, coach"
            drop = self.CHILD_ONLY
        for name in drop:
            del self.fields[name]


class BasePersonFormSet(BoundedFormSet):
    default_error_messages = {
        **BoundedFormSet.default_error_messages,
        "too_many_forms": f"A referral can have at most {MAX_PEOPLE_PER_GROUP} people in each list",
    }

    def __init__(self, *args, kind: str, **kwargs) -> None:
        self.kind = kind
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index: int | None) -> dict:
        return {"kind": self.kind}

    def add_fields(self, form: forms.Form, index: int | None) -> None:
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = "Remove this person from the referral"
            form.fields["DELETE"].help_text = "They stay in the case history, marked as removed"

    def people(self) -> list[dict[str, Any]]:
        """Everyone already on the referral (kept or to be removed) and every new slot filled in, for the service.

        `sent_forms` keeps which form each one came from, so an error the service raises about
        the nth person lands on that form.
        """
        result = []
        self.sent_forms: list[forms.Form] = []
        for form in self.forms:
            existing = bool((form.initial or {}).get("id"))
            if not (existing or form.has_changed()):
                continue
            data = {name: form.cleaned_data.get(name) for name in ("id", "kind", *PERSON_FIELDS)}
            data["remove"] = bool(self.can_delete and form.cleaned_data.get("DELETE"))
            if data["remove"] and not existing:
                continue
            result.append(data)
            self.sent_forms.append(form)
        return result

    require_child = True  # not in a draft: the child is asked for when it is submitted

    def clean(self) -> None:
        # The service refuses a referral with no child too; asking here shows it with the other gaps at once.
        if any(self.errors) or self.kind != PersonKind.CHILD or not self.require_child:
            return
        if not any(f.has_changed() or (f.initial or {}).get("id") for f in self.forms):
            raise ValidationError("Add at least one child", code="no_child")


# At most 20 people in a list; a post claiming more is refused before any form is built (BoundedFormSet).
PersonFormSet = cast(
    type[BasePersonFormSet],
    forms.formset_factory(
        PersonForm,
        formset=BasePersonFormSet,
        extra=0,
        can_delete=True,
        max_num=MAX_PEOPLE_PER_GROUP,
        absolute_max=MAX_PEOPLE_PER_GROUP,
        validate_max=True,
    ),
)
GROUP_KINDS = {"children": PersonKind.CHILD, "household": PersonKind.HOUSEHOLD, "others": PersonKind.ALLEGED_ABUSER}
GROUP_TITLES = {"children": "Child", "household": "Household member", "others": "Other person"}


class ReferralForms:
    """The log or edit page's form and its three lists of people, bound together."""

    def __init__(
        self,
        data: QueryDict | None,
        *,
        partnership: Partnership,
        referral: Referral | None = None,
        initial: dict | None = None,
        people_initial: dict[str, list[dict]] | None = None,
    ) -> None:
        self.form = ReferralForm(
            data,
            partnership=partnership,
            initial=initial or {"submission_key": uuid.uuid4()},
            received_at=referral.received_at if referral else None,
        )
        self.people: dict[str, BasePersonFormSet] = {}
        for group, kind in GROUP_KINDS.items():
            given = (people_initial or {}).get(group) or None
            formset = PersonFormSet(data, prefix=group, kind=kind, initial=given)
            if data is None and not given and group != "others":
                formset.extra = 1
            self.people[group] = formset

    @property
    def all(self) -> list[forms.BaseForm | forms.BaseFormSet]:
        return [self.form, *self.people.values()]

    def is_valid(self) -> bool:
        results = [item.is_valid() for item in self.all]  # every one validated, so every error shows at once
        return all(results)

    def quiet(self) -> None:
        for item in self.all:
            quiet(item)

    def service_kwargs(self) -> dict[str, Any]:
        data = self.form.cleaned_data
        return {
            "data": data,
            "concerns": data["concerns"],
            **{group: formset.people() for group, formset in self.people.items()},
        }

    def partial_kwargs(self) -> dict[str, Any]:
        """What could be read of a form with errors, for the service's check (`services.referral_problems`)."""
        data = dict(getattr(self.form, "cleaned_data", {}))
        people = {}
        for group, formset in self.people.items():
            for form in formset.forms:
                if not hasattr(form, "cleaned_data"):
                    form.cleaned_data = {}
            people[group] = formset.people()
        return {"data": data, "concerns": data.get("concerns") or [], **people}

    def add_rule_problems(self, problems: dict[str, list[str]]) -> None:
        """Show the rules' problems with the form's own errors, on fields that have none yet: one round."""
        if problems:
            self.add_service_errors(ValidationError(cast(dict[str, Any], problems)), only_new=True)

    def add_service_errors(self, exc: ValidationError, *, only_new: bool = False) -> None:
        """Show each message of a refused save on its field ("children.0.last_name" on the first child's); the
        referral's own fields through the one mapper (core.forms.add_service_errors)."""
        if not hasattr(exc, "error_dict"):
            self.form.add_error(None, exc)
            return
        own: dict[str, list] = {}
        for key, errors in exc.error_dict.items():
            # A model's own message ("Ensure this value has at most ...") is said naming its field.
            messages = [worded(error, field_label(key) or "This field") for error in errors]
            group, _, rest = key.partition(".")
            if group in self.people and rest:
                index, _, field = rest.partition(".")
                self._add_person_error(group, int(index), field, messages, only_new)
            elif group in self.people:
                known = [str(m) for m in self.people[group].non_form_errors()]
                if only_new and known:
                    continue  # the list says what is wrong with it already (too many people claimed)
                self.people[group]._non_form_errors = self.people[group].error_class(  # type: ignore[attr-defined]
                    [*known, *(m for m in messages if m not in known)]
                )
            elif not (only_new and key == "received_at" and "received_time" in self.form.errors):
                own[key] = errors  # (a moment that could not be read says what is wrong with it already)
        if own:
            add_service_errors(self.form, ValidationError(own), {"received_at": "received_date"}, only_new=only_new)

    def _add_person_error(
        self, group: str, index: int, field: str, messages: list[str], only_new: bool = False
    ) -> None:
        sent = getattr(self.people[group], "sent_forms", [])
        if index >= len(sent):
            if not only_new:
                self.form.add_error(None, messages)
            return
        form = sent[index]
        target = field if field in form.fields else None
        if only_new and (target in form.errors or (target is None and form.non_field_errors())):
            return
        form.add_error(target, messages)


def people_initial(groups: dict[str, list]) -> dict[str, list[dict]]:
    """The edit page's people as initial data, by list."""
    return {
        group: [{"id": p.pk, "kind": p.kind, **{name: getattr(p, name) for name in PERSON_FIELDS}} for p in people]
        for group, people in groups.items()
        if group in GROUP_KINDS
    }


def add_another(data: QueryDict, group: str) -> QueryDict:
    """The POST data with one more blank form in a list of people ("Add another" without JavaScript)."""
    data = data.copy()
    key = f"{group}-TOTAL_FORMS"
    try:
        data[key] = str(min(int(data.get(key, "0")) + 1, MAX_PEOPLE_PER_GROUP))
    except ValueError:
        data[key] = "1"
    return data


class DeadlineMoveForm(GovFormMixin, forms.Form):
    """A team manager moves a clock later: the new date and time, and the reason (kept and shown)."""

    due_date = GovDateField(label="New date it is due")
    due_time = GovTimeField(label="New time it is due", what="it is due")
    reason = GovTextarea(
        label="Why is it moved later?",
        help_text="Shown on the case page and in the minutes",
        rows=3,
        max_length=2000,
        message="Give the reason for moving the deadline later",
    )

    def clean(self) -> dict:
        super().clean()
        self.cleaned_data["due"] = local_moment(self, "due_date", "due_time")
        return self.cleaned_data


# The draft's task pages (issue 25): each task shows some of the referral form's fields (the service's, but when it
# was received is typed as a date and a time), or one list of people.
FORM_FIELDS_OF = {"received_at": ("received_date", "received_time")}
START_FIELDS = ("submission_key", "received_date", "received_time", "urgency")
TASK_FORM_FIELDS: dict[str, tuple[str, ...]] = {
    task: tuple(field for name in DRAFT_TASKS[task] for field in FORM_FIELDS_OF.get(name, (name,)))
    for task in ("details", "concern", "urgency")
}
# What a draft cannot be without: when it was received and its urgency start its clock.
DRAFT_REQUIRED = ("received_date", "received_time", "urgency")


def referral_part_form(
    data: QueryDict | None,
    *,
    fields: tuple[str, ...],
    partnership: Partnership,
    referral: Referral | None = None,
    initial: dict | None = None,
) -> ReferralForm:
    """The referral form cut down to some of its fields; in a draft only what starts the clock is required."""
    form = ReferralForm(
        data, partnership=partnership, initial=initial, received_at=referral.received_at if referral else None
    )
    for name in list(form.fields):
        if name not in fields:
            del form.fields[name]
        elif name not in DRAFT_REQUIRED:
            form.fields[name].required = False
    return form


class DraftTask:
    """One task page of a draft: its form, or its list of people, bound or showing what is stored."""

    def __init__(
        self, task: str, data: QueryDict | None, *, referral: Referral, initial: dict, people: dict[str, list[dict]]
    ) -> None:
        self.task = task
        self.title = DRAFT_TASK_TITLES[task]
        self.form: ReferralForm | None = None
        self.formset: BasePersonFormSet | None = None
        if task in TASK_FORM_FIELDS:
            self.form = referral_part_form(
                data,
                fields=TASK_FORM_FIELDS[task],
                partnership=referral.partnership,
                referral=referral,
                initial=initial,
            )
        else:
            given = people.get(task) or None
            self.formset = PersonFormSet(data, prefix=task, kind=GROUP_KINDS[task], initial=given)
            self.formset.require_child = False
            if data is None and not given and task == "children":
                self.formset.extra = 1

    @property
    def all(self) -> list[forms.BaseForm | forms.BaseFormSet]:
        return [item for item in (self.form, self.formset) if item is not None]

    def is_valid(self) -> bool:
        results = [item.is_valid() for item in self.all]  # both validated, so every error shows at once
        return all(results)

    def service_kwargs(self) -> dict[str, Any]:
        if self.formset is not None:
            return {"people": self.formset.people()}
        data = dict(cast(ReferralForm, self.form).cleaned_data)
        return {"data": data, "concerns": (data.get("concerns") or []) if self.task == "concern" else None}

    def add_problems(self, problems: dict[str, list[str]]) -> list[dict[str, str]]:
        """Show the draft's problems of this task on its fields (also unbound, as stored); return each one with
        the anchor of its field, in page order, for an error summary."""
        found: list[dict[str, str]] = []
        for key, messages in problems.items():
            if draft_task_of(key) != self.task:
                continue
            target: forms.BaseForm
            if self.form is not None:
                target, name = self.form, {"received_at": "received_date"}.get(key, key)
                label = ""
            elif self.formset is not None:
                _group, _, rest = key.partition(".")
                index, _, name = rest.partition(".")
                if not index:
                    _force_errors(self.formset)
                    self.formset._non_form_errors.extend(messages)  # type: ignore[attr-defined]
                    first = self.formset.forms[0] if self.formset.forms else None
                    anchor = anchor_id(first["last_name"]) if first else ""
                    found.extend({"message": m, "anchor": anchor} for m in messages)
                    continue
                if int(index) >= len(self.formset.forms):
                    continue
                target = self.formset.forms[int(index)]
                label = f"{GROUP_TITLES[self.task]} {int(index) + 1}: "
            else:
                continue
            _force_errors(target)
            field = name if name in target.fields else None
            target.add_error(field, messages)
            anchor = anchor_id(target[field]) if field else ""
            found.extend({"message": f"{label}{m}", "anchor": anchor} for m in messages)
        return found


def _force_errors(item: forms.BaseForm | forms.BaseFormSet) -> None:
    """Let errors be added to a form showing stored values (not bound to a post)."""
    if isinstance(item, forms.BaseFormSet):
        if item._non_form_errors is None:  # type: ignore[attr-defined]
            item.full_clean()
        return
    if item._errors is None:  # type: ignore[attr-defined]
        item._errors = forms.utils.ErrorDict()  # type: ignore[attr-defined]
    if not hasattr(item, "cleaned_data"):
        item.cleaned_data = {}


def draft_initial(referral: Referral, people: dict[str, list]) -> tuple[dict, dict[str, list[dict]]]:
    """A stored referral (a draft, or one logged) as a form's initial values: its fields, and its people by list."""
    local = to_local(referral.received_at)
    initial = {
        "received_date": local.date(),
        "received_time": local.strftime("%H:%M"),
        "referrer_name": referral.referrer_name,
        "referrer_agency": referral.referrer_agency_id,
        "referrer_organisation": referral.referrer_organisation,
        "referrer_contact": referral.referrer_contact,
        "concerns": list(referral.concerns.values_list("code", flat=True)),
        "non_mobile_infant_injury": {True: "yes", False: "no", None: None}[referral.non_mobile_infant_injury],
        "urgency": referral.urgency,
        "urgency_reason": referral.urgency_reason,
        "immediate_action_taken": referral.immediate_action_taken,
        "immediate_action_agency": referral.immediate_action_agency_id,
        "immediate_action_details": referral.immediate_action_details,
        "concern_summary": referral.concern_summary,
        "allocated_social_worker": referral.allocated_social_worker_id,
    }
    return initial, people_initial(people)
