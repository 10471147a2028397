from rest_framework.routers import SimpleRouter

from api.viewsets import ID_REGEX

from .views.licences import AssistantLicencesViewSet
from .views.market import MarketPromptViewSet
from .views.purchases import PurchaseViewSet
from .views.reputation import PromptRatingsViewSet, PromptReputationViewSet
from .views.trust import AssistantTrustViewSet
from .views.vaults import VaultViewSet
from .views.wallets import AssistantWalletViewSet, WalletLedgerViewSet

router = SimpleRouter()
# The market first: Django tries the patterns in order, and the market list and buy are the
# hottest routes. No two of these patterns match one path, so the order only decides how soon.
router.register("market/prompts", MarketPromptViewSet, basename="market-prompts")
router.register("market/purchases", PurchaseViewSet, basename="market-purchases")
# Detail actions only on core's resources: no list/retrieve here, so core's routes stay whole.
router.register("assistants", AssistantWalletViewSet, basename="assistants")
router.register("prompts", PromptReputationViewSet, basename="prompts")
router.register(
    rf"assistants/(?P<assistant_pk>{ID_REGEX})/wallet/ledger",
    WalletLedgerViewSet,
    basename="assistants-wallet-ledger",
)
router.register(
    rf"assistants/(?P<assistant_pk>{ID_REGEX})/licences",
    AssistantLicencesViewSet,
    basename="assistants-licences",
)
router.register(
    rf"assistants/(?P<assistant_pk>{ID_REGEX})/trust",
    AssistantTrustViewSet,
    basename="assistants-trust",
)
router.register(
    rf"prompts/(?P<prompt_pk>{ID_REGEX})/ratings", PromptRatingsViewSet, basename="prompts-ratings"
)
router.register("vaults", VaultViewSet, basename="vaults")

urlpatterns = router.urls
