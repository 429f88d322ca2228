"""Administrators manage partnerships, agencies, closure days and users here (DOMAIN section 2).

Case data (referrals and what hangs off them) is deliberately not in the admin:
it is reached only through the views, which all go through the access policy.
"""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from simple_history.admin import SimpleHistoryAdmin

from agencies.models import Agency, ClosureDay, Partnership, User


class ClosureDayInline(admin.TabularInline):
    model = ClosureDay
    extra = 1


@admin.register(Partnership)
class PartnershipAdmin(SimpleHistoryAdmin):
    list_display = ["name", "jurisdiction", "standard_sd_days", "end_of_working_day"]
    inlines = [ClosureDayInline]


@admin.register(Agency)
class AgencyAdmin(SimpleHistoryAdmin):
    list_display = ["name", "agency_type", "partnership"]
    list_filter = ["agency_type", "partnership"]
    search_fields = ["name"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin, SimpleHistoryAdmin):
    list_display = ["username", "first_name", "last_name", "agency", "is_active"]
    list_filter = ["agency", "roles", "is_active", "is_staff"]
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
