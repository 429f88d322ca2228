"""Administrators manage partnerships, agencies, closure days and users here (DOMAIN section 2).

Case data (referrals and what hangs off them) is deliberately not in the admin:
it is reached only through the views, which all go through the access policy.
A staff user who is not a superuser administers only their own partnership and
cannot grant anyone (themselves included) superuser, staff or model permissions.
"""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from agencies.models import Agency, ClosureDay, Partnership, User

PRIVILEGE_FIELDS = ("is_superuser", "is_staff", "groups", "user_permissions")


def _own_partnership_id(request: HttpRequest) -> int | None:
    return None if request.user.is_superuser else request.user.partnership_id


class PartnershipScopedAdmin(SimpleHistoryAdmin):
    """Non-superusers see and edit only rows of their own partnership."""

    partnership_path = "partnership"

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

    def has_add_permission(self, request: HttpRequest) -> bool:
        if self.model is Partnership and not request.user.is_superuser:
            return False
        return super().has_add_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        if self.model is Partnership and not request.user.is_superuser:
            return False
        return super().has_delete_permission(request, obj)


class ClosureDayInline(admin.TabularInline):
    model = ClosureDay
    extra = 1


@admin.register(Partnership)
class PartnershipAdmin(PartnershipScopedAdmin):
    partnership_path = "id"
    list_display = ["name", "jurisdiction", "standard_sd_days", "end_of_working_day"]
    inlines = [ClosureDayInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = super(PartnershipScopedAdmin, self).get_queryset(request)
        return queryset if request.user.is_superuser else queryset.filter(pk=_own_partnership_id(request))


@admin.register(Agency)
class AgencyAdmin(PartnershipScopedAdmin):
    list_display = ["name", "agency_type", "partnership"]
    list_filter = ["agency_type"]
    search_fields = ["name"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin, PartnershipScopedAdmin):
    partnership_path = "agency__partnership"
    list_display = ["username", "first_name", "last_name", "agency", "is_active"]
    list_filter = ["roles", "is_active"]
    list_select_related = ["agency"]
    filter_horizontal = ["roles", "groups", "user_permissions"]
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        ("Agency and roles", {"fields": ("agency", "roles", "job_title")}),
    )
    add_fieldsets = (
        *DjangoUserAdmin.add_fieldsets,
        ("Agency and roles", {"fields": ("first_name", "last_name", "email", "agency", "roles", "job_title")}),
    )

    def get_readonly_fields(self, request: HttpRequest, obj=None) -> tuple[str, ...]:
        readonly = tuple(super().get_readonly_fields(request, obj))
        return readonly if request.user.is_superuser else (*readonly, *PRIVILEGE_FIELDS)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = DjangoUserAdmin.get_queryset(self, request)
        if request.user.is_superuser:
            return queryset
        # Nobody but a superuser administers a superuser.
        return queryset.filter(agency__partnership_id=_own_partnership_id(request), is_superuser=False)
