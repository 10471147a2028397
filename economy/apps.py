from django.apps import AppConfig


class EconomyConfig(AppConfig):
    name = "economy"
    verbose_name = "Economy: wallets, ledger, market, reputation, trust, vaults"
