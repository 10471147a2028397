from django.apps import AppConfig


class EconomyConfig(AppConfig):
    name = "economy"
    verbose_name = "Economy: wallets, ledger, market, reputation, trust, vaults"

    def ready(self) -> None:
        from django.core import checks

        from .checks import formula_settings_check

        checks.register(formula_settings_check)
