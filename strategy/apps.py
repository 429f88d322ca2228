from django.apps import AppConfig


class StrategyConfig(AppConfig):
    """Strategy discussions: convened from a referral, chaired by a CSC team manager (DOMAIN section 4)."""

    name = "strategy"
    verbose_name = "Strategy discussions"

    def ready(self) -> None:
        from actions.access import action_chair_register
        from referrals.deadlines import deadline_taken_over_register
        from referrals.selectors import case_part_register
        from strategy.selectors import action_chaired_by, case_discussions, discussion_owns_clock

        # What referrals and actions ask of strategy without importing it (listed in the README with core.events):
        # whether a discussion took over a clock (a referral edited), the case page's discussions, and whether a
        # user chaired the discussion that agreed an action.
        deadline_taken_over_register(discussion_owns_clock)
        case_part_register("discussions", case_discussions)
        action_chair_register(action_chaired_by)
