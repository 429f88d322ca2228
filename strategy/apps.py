from django.apps import AppConfig


class StrategyConfig(AppConfig):
    """Strategy discussions: convened from a referral, chaired by a CSC team manager (DOMAIN section 4)."""

    name = "strategy"
    verbose_name = "Strategy discussions"
