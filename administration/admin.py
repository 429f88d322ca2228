"""Administrators manage partnerships, agencies, closure days and users here (DOMAIN section 2).

Case data (referrals and what hangs off them) is deliberately not in the admin:
it is reached only through the views, which all go through the access policy.
A staff user who is not a superuser administers only the non-staff users of their
own partnership (so never themselves or a fellow administrator), and cannot grant
anyone superuser, staff or model permissions.
"""

from dataclasses import replace
from datetime import time

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from simple_history.admin import SimpleHistoryAdmin

from agencies import resets
from agencies.accounts import password_reset_link_send, roles_granted_notify, sessions_end
from agencies.forms import AdminSignInForm, UserInviteForm
from agencies.lockout import account_unlock
from agencies.models import (
    Agency,
    AuthEvent,
    AuthEventKind,
    ClosureDay,
    OnCall,
    Partnership,
    ResetKind,
    User,
    auth_event_record,
)
from agencies.selectors import partnership_calendar
from agencies.services import user_agency_group_sync
from core.history import record
from referrals.services import calendar_changed


class NoPasswordWidget(forms.Widget):
    template_name = "administration/widgets/no_password.html"
    read_only = True


PRIVILEGE_FIELDS = ("is_superuser", "is_staff", "groups", "user_permissions")


def _own_partnership_id(request: HttpRequest) -> int:
    """The partnership a non-superuser administers (0, matching nothing, if they have no agency)."""
    user = request.user
    return (user.partnership_id if isinstance(user, User) else None) or 0


class PartnershipScopedAdmin(SimpleHistoryAdmin):
    """Non-superusers see and edit only rows of their own partnership, history pages included."""

    partnership_path = "partnership"

    def _in_scope(self, request: HttpRequest, object_id: str) -> bool:
        try:
            return self.get_queryset(request).filter(pk=object_id).exists()
        except (ValueError, TypeError):
            return False

    def history_view(self, request: HttpRequest, object_id: str, extra_context=None):
        if not self._in_scope(request, object_id):
            raise Http404("No such record")
        return super().history_view(request, object_id, extra_context)

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None):
        # Not visible means 404 (Django's admin would redirect to its index saying the record does not exist).
        if not self._in_scope(request, object_id):
            raise Http404("No such record")
        return super().change_view(request, object_id, form_url, extra_context)

    def delete_view(self, request: HttpRequest, object_id: str, extra_context=None):
        if not self._in_scope(request, object_id):
            raise Http404("No such record")
        return super().delete_view(request, object_id, extra_context)

    def history_form_view(self, request: HttpRequest, object_id: str, version_id: str, extra_context=None):
        # Old versions may be read (in scope only); never saved back, which would bypass every check.
        if request.method != "GET" or not self._in_scope(request, object_id):
            raise Http404("No such record")
        return super().history_form_view(request, object_id, version_id, extra_context)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(**{f"{self.partnership_path}_id": _own_partnership_id(request)})

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs):
        if not request.user.is_superuser:
            if db_field.related_model is Partnership:
                kwargs["queryset"] = Partnership.objects.filter(pk=_own_partnership_id(request))
            elif db_field.related_model is Agency:
                kwargs["queryset"] = Agency.objects.filter(partnership_id=_own_partnership_id(request))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj, form, change: bool) -> None:
        record(obj, request.user, f"{'Changed' if change else 'Added'} in the admin")
        super().save_model(request, obj, form, change)

    def has_add_permission(self, request: HttpRequest) -> bool:
        if self.model is Partnership and not request.user.is_superuser:
            return False
        return super().has_add_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        if self.model is Partnership and not request.user.is_superuser:
            return False
        return super().has_delete_permission(request, obj)


def _calendar(partnership: Partnership) -> tuple:
    """Everything of a partnership that feeds the moments stored on its deadlines (the start of the working day
    feeds none: it only says what is out of hours)."""
    calendar = partnership_calendar(partnership)
    return replace(calendar, start_of_day=time(0, 0)), partnership.due_soon_percent


class ClosureDayInline(admin.TabularInline):
    """A table of closure days: each field is labelled by its column's heading, for a screen reader as for the eye
    (a table's cells have no <label> of their own)."""

    model = ClosureDay
    extra = 1

    def formfield_for_dbfield(self, db_field, request: HttpRequest, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if field is not None and not field.widget.is_hidden:
            field.widget.attrs.setdefault("aria-label", str(field.label))
        return field


@admin.register(Partnership)
class PartnershipAdmin(PartnershipScopedAdmin):
    partnership_path = "id"
    list_display = ["name", "jurisdiction", "standard_sd_days", "end_of_working_day", "reference_prefix"]
    inlines = [ClosureDayInline]
    readonly_fields = ["deadlines_status"]

    @admin.display(description="Open deadlines")
    def deadlines_status(self, partnership: Partnership) -> str:
        if partnership.pk is None or partnership.calendar_changed_at is None:
            return "They follow this calendar."
        if partnership.deadlines_moving:
            changed = timezone.localtime(partnership.calendar_changed_at)
            return f"Being moved to the calendar as changed at {changed:%H:%M on %-d %B %Y}: reload to see when done."
        moved = timezone.localtime(partnership.deadlines_moved_at)
        return f"They follow this calendar: moved to it at {moved:%H:%M on %-d %B %Y}."

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None):
        # The calendar as it was, to tell after saving whether the open deadlines must move.
        partnership = self.get_queryset(request).filter(pk=object_id).first() if object_id.isdigit() else None
        request._calendar_before = _calendar(partnership) if partnership else None  # type: ignore[attr-defined]
        return super().change_view(request, object_id, form_url, extra_context)

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        partnership = form.instance
        before = getattr(request, "_calendar_before", None)
        if change and before != _calendar(partnership):
            # Closure days and settings feed every stored moment: the open deadlines follow them, in Celery
            # (a national partnership has hundreds of thousands); this request returns at once.
            calendar_changed(acting_user=request.user, partnership=partnership)  # type: ignore[arg-type]
            self.message_user(
                request,
                "The open deadlines are being moved to the new calendar. This page says when that is done.",
            )

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = super(PartnershipScopedAdmin, self).get_queryset(request)
        return queryset if request.user.is_superuser else queryset.filter(pk=_own_partnership_id(request))


@admin.register(Agency)
class AgencyAdmin(PartnershipScopedAdmin):
    list_display = ["name", "agency_type", "partnership"]
    list_filter = ["agency_type"]
    search_fields = ["name"]


@admin.register(OnCall)
class OnCallAdmin(PartnershipScopedAdmin):
    """The partnership's on-call rota (DOMAIN section 7): who is the emergency duty team or the on-call senior manager
    from one date to another. An administrator sees and edits only their partnership's rota, and names only active
    people of its agencies; a week before a duty's rota runs out they are alerted (actions.alerts.rota_check)."""

    list_display = ["duty", "user", "starts_on", "ends_on", "partnership"]
    list_filter = ["duty"]
    list_select_related = ["user", "partnership"]
    date_hierarchy = "starts_on"
    ordering = ["-starts_on", "duty"]

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs):
        if db_field.name == "user":
            people = User.objects.filter(is_active=True, agency__isnull=False)
            if not request.user.is_superuser:
                people = people.filter(agency__partnership_id=_own_partnership_id(request))
            kwargs["queryset"] = people.select_related("agency").order_by("last_name", "first_name", "pk")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(User)
class UserAdmin(DjangoUserAdmin, PartnershipScopedAdmin):
    partnership_path = "agency__partnership"
    list_display = ["username", "first_name", "last_name", "agency", "is_active"]
    list_filter = ["roles", "is_active"]
    list_select_related = ["agency"]
    # Not Django's two-box filter (filter_horizontal): its script gives a plain <span> an aria-label, which assistive
    # technology does not read. A few roles are ticked; groups and permissions are a plain multiple choice.
    filter_horizontal = ()
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        ("Agency and roles", {"fields": ("agency", "roles", "job_title", "line_manager")}),
    )
    # A new user chooses their own password through an emailed link: nobody else ever sets or knows it.
    add_form = UserInviteForm
    add_fieldsets = (
        (
            None,
            {
                "fields": ("username", "first_name", "last_name", "email", "agency", "roles", "job_title"),
                "description": "The new user is emailed a link to choose their own password.",
            },
        ),
        ("Line manager", {"fields": ("line_manager",)}),
    )

    actions = ["unlock_sign_in", "send_reset_link", "reset_two_factor"]

    @admin.action(description="Remove two-factor sign-in of the selected users (a lost phone): they set it up again")
    def reset_two_factor(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._reset(request, queryset, ResetKind.TWO_FACTOR)

    @admin.action(description="Send a password reset link to the selected users")
    def send_reset_link(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._reset(request, queryset, ResetKind.PASSWORD_LINK)

    def _reset(self, request: HttpRequest, queryset: QuerySet, kind: str) -> None:
        """Done at once for users whose rights need no second factor; for managers and administrators, asked for
        and done when a second administrator or a head of service approves it (agencies/resets.py)."""
        actor = request.user
        if not isinstance(actor, User):
            raise PermissionDenied("Signed-in administrators only")
        done: list[str] = []
        asked: list[str] = []
        for user in queryset:  # already limited to the administrator's partnership
            try:
                reset = resets.reset_request(acting_user=actor, user=user, kind=kind, now=timezone.now())
            except PermissionDenied:
                self.message_user(request, f"You cannot do this to {user.username}'s account", level=messages.ERROR)
            except ValidationError as exc:
                self.message_user(request, exc.messages[0], level=messages.ERROR)
            else:
                (asked if reset is not None else done).append(user.username)
        if done:
            self.message_user(request, f"Done for {len(done)} user(s): {', '.join(done)}. They have been told.")
        if asked:
            self.message_user(
                request,
                f"Asked for {', '.join(asked)}: a second administrator or a head of service must approve it "
                "(their page: Resets waiting for your approval). The user has been told.",
                level=messages.WARNING,
            )

    @admin.action(description="Unlock sign-in for the selected users (after failed sign-ins)")
    def unlock_sign_in(self, request: HttpRequest, queryset: QuerySet) -> None:
        actor = request.user if isinstance(request.user, User) else None
        for user in queryset:  # already limited to the administrator's partnership
            account_unlock(actor=actor, user=user)  # type: ignore[arg-type]
        self.message_user(request, f"Unlocked {queryset.count()} user(s): they can sign in now.")

    def get_readonly_fields(self, request: HttpRequest, obj=None) -> tuple[str, ...]:
        # When someone last signed in, and joined, are facts the system records, not an administrator's to edit.
        readonly = (*super().get_readonly_fields(request, obj), "last_login", "date_joined")
        return readonly if request.user.is_superuser else readonly + PRIVILEGE_FIELDS

    def formfield_for_manytomany(self, db_field, request: HttpRequest, **kwargs):
        if db_field.name == "roles":
            kwargs["widget"] = forms.CheckboxSelectMultiple
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs):
        if db_field.name == "line_manager" and not request.user.is_superuser:
            kwargs["queryset"] = User.objects.filter(agency__partnership_id=_own_partnership_id(request))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_form(self, request: HttpRequest, obj=None, change: bool = False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if "password" in form.base_fields:
            # Not even a "Reset password" button: nobody sets or sees another user's password.
            form.base_fields["password"].widget = NoPasswordWidget()
            form.base_fields["password"].help_text = ""
        if not request.user.is_superuser and "agency" in form.base_fields:
            # A user with no agency would fall outside every administrator's partnership, unmanageable.
            form.base_fields["agency"].required = True
        return form

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = ""):
        """Nobody sets another user's password, superusers included: they send a reset link instead."""
        raise Http404("Send a password reset link instead")

    def save_model(self, request: HttpRequest, obj, form, change: bool) -> None:
        before = User.objects.filter(pk=obj.pk).select_related("agency").first() if change else None
        request._user_before = (  # type: ignore[attr-defined]
            (before.agency, set(before.role_codes()), before.is_active) if before else None
        )
        if before is not None and obj.email != before.email:
            # Not saved: the owner confirms it from the new address, signed in, and the old one is told.
            request._email_asked = obj.email  # type: ignore[attr-defined]
            obj.email = before.email
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        user = form.instance
        # After the groups field (superusers) is saved: the agency's group follows the agency and active flag.
        user_agency_group_sync(user)
        before = getattr(request, "_user_before", None)
        actor = request.user if isinstance(request.user, User) else None
        user._role_codes = None  # roles were just saved: read them again
        asked = getattr(request, "_email_asked", None)
        if asked is not None:
            resets.email_change_request(acting_user=actor, user=user, new_email=asked)
            self.message_user(
                request,
                f"The email address changes to {asked} when {user.username} confirms it from a link sent there "
                "(signed in as themselves). Their current address has been told.",
                level=messages.WARNING,
            )
        if before is None:  # a new user: their roles are granted, and they choose their password by email
            roles_granted_notify(actor=actor, user=user, granted=user.role_codes())
            if user.email:
                password_reset_link_send(actor=actor, user=user)
            return
        agency, roles, active = before
        now_roles = set(user.role_codes())
        roles_granted_notify(actor=actor, user=user, granted=now_roles - roles)
        if roles != now_roles:
            auth_event_record(
                kind=AuthEventKind.ROLES_CHANGED,
                user=user,
                actor=actor,
                detail=f"Roles: {', '.join(sorted(roles)) or 'none'} -> {', '.join(sorted(now_roles)) or 'none'}",
            )
        if agency != user.agency:
            auth_event_record(
                kind=AuthEventKind.AGENCY_CHANGED, user=user, actor=actor, detail=f"Agency: {agency} -> {user.agency}"
            )
        if active and not user.is_active:
            sessions_end(user)
        if active != user.is_active:
            auth_event_record(
                kind=AuthEventKind.ACTIVE_CHANGED,
                user=user,
                actor=actor,
                detail="Activated" if user.is_active else "Deactivated",
            )

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = DjangoUserAdmin.get_queryset(self, request)
        if request.user.is_superuser:
            return queryset.exclude(pk=request.user.pk)  # nobody administers their own account
        # Only a superuser administers staff (other administrators, or oneself): no one grants themselves a
        # role, and no one resets the password of a colleague with more rights.
        return queryset.filter(agency__partnership_id=_own_partnership_id(request), is_superuser=False, is_staff=False)


@admin.register(AuthEvent)
class AuthEventAdmin(admin.ModelAdmin):
    """The whole sign-in audit, failed sign-ins with unknown usernames included: superusers only, read-only.

    (Heads of service and administrators see their partnership's records at /audit/sign-ins/.)
    """

    list_display = ["at", "kind", "username", "user", "actor", "detail"]
    list_filter = ["kind"]
    search_fields = ["username"]

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.is_superuser

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


# The admin's sign-in page refuses what /sign-in/ refuses (a username too long to be anyone's, a limited address).
admin.site.login_form = AdminSignInForm

# The authenticators themselves are never shown in the admin (their keys are secrets, and the library's pages
# are not limited to one partnership): an administrator removes a user's with the action on the users list.
for _model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
