from django.apps import AppConfig


class StrategyConfig(AppConfig):
    """Strategy discussions: convened from a referral, chaired by a CSC team manager (DOMAIN section 4)."""

    name = "strategy"
    verbose_name = "Strategy discussions"

    def ready(self) -> None:
        from referrals.deadlines import deadline_taken_over_register
        from referrals.selectors import case_part_register
        from strategy.selectors import case_discussions, discussion_owns_clock

        # What referrals asks of strategy without importing it (listed in the README with core.events): whether a
        # discussion took over a clock (a referral edited), and the case page's discussions.
        deadline_taken_over_register(discussion_owns_clock)
        case_part_register("discussions", case_discussions)
