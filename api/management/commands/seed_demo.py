"""Demo data for frontend work: users with known passwords, assistants, prompts, rituals and
codex clauses. Idempotent: running it twice leaves one copy. Refuses to run unless DEBUG."""

from importlib import import_module

from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.module_loading import module_has_submodule

from core import services
from core.models import Assistant, CodexClause, Prompt, Ritual
from economy.services import assistant_open

DEMO_PASSWORD = "mythos-demo-pass"
USERS = [("alice", False), ("bob", False), ("carol", False), ("admin", True)]
CLAUSES = {
    "honesty": "An assistant tells the truth about its own uncertainty.",
    "care": "Prompts must not be used to harm the one who asks.",
    "memory": "What is remembered is remembered faithfully.",
    "consent": "No belief is implanted without the holder's consent.",
}
# "Mirror of doubt" after its first version: (body, message) of versions 2 and 3.
VERSIONS = [
    (
        "List three things you are unsure of, why, and what would settle each.",
        "Ask what settles it.",
    ),
    ("List three things you are unsure of, why, and what evidence would settle each.", "Evidence."),
]
PROMPTS = [
    (
        "alice",
        "Oracle",
        "Sea of dreams",
        "Describe the dream you had of the sea, then its meaning.",
        ["dream", "sea"],
        ["memory"],
    ),
    (
        "alice",
        "Oracle",
        "Mirror of doubt",
        "List three things you are unsure of and why.",
        ["reflection"],
        ["honesty"],
    ),
    (
        "bob",
        "Scribe",
        "Ledger of days",
        "Summarise the day as entries in a ledger of belief.",
        ["ledger", "ritual"],
        ["memory"],
    ),
    (
        "bob",
        "Scribe",
        "Gentle refusal",
        "Refuse kindly, explaining the clause you follow.",
        ["care"],
        ["care", "consent"],
    ),
    (
        "carol",
        "Weaver",
        "Thread of myth",
        "Weave the user's story into a myth with a moral.",
        ["myth"],
        [],
    ),
    ("carol", "Weaver", "Private sketch", "A draft only Carol should see.", ["draft"], []),
]


class Command(BaseCommand):
    help = "Load demo users (password: mythos-demo-pass), assistants, prompts, rituals and clauses."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError(
                "seed_demo creates users with known passwords: it runs only with DEBUG on."
            )
        with transaction.atomic():
            self._seed()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready. Log in as alice, bob, carol or admin (staff) with password {DEMO_PASSWORD!r}."
            )
        )

    def _seed(self) -> None:
        # The demo spans every app (see _seed_more); assistants come with their wallets.
        users = {}
        for username, staff in USERS:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={
                    "email": f"{username}@example.com",
                    "is_staff": staff,
                    "is_superuser": staff,
                },
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save()
            users[username] = user
        for code, text in CLAUSES.items():
            CodexClause.objects.get_or_create(code=code, defaults={"text": text})
        assistants: dict[tuple[str, str], Assistant] = {}
        for username, name, *_ in PROMPTS:
            key = (username, name)
            if key not in assistants:
                existing = Assistant.objects.filter(owner=users[username], name=name).first()
                assistants[key] = existing or assistant_open(
                    owner=users[username], name=name, description=f"{name}, {username}'s assistant."
                )
        prompts = {}
        for username, name, title, body, tags, clauses in PROMPTS:
            author = assistants[(username, name)]
            prompt = Prompt.objects.filter(
                author=author, title=title
            ).first() or services.prompt_create(
                author=author,
                title=title,
                body=body,
                tags=tags,
                codex_clauses=clauses,
                is_public=title != "Private sketch",
            )
            prompts[title] = prompt
        self._seed_versions(prompts["Mirror of doubt"])
        oracle = assistants[("alice", "Oracle")]
        if not Ritual.objects.filter(owner=oracle, name="Dawn reflection").exists():
            services.ritual_create(
                owner=oracle,
                name="Dawn reflection",
                description="Dream, doubt, then record.",
                steps=[
                    prompts["Sea of dreams"],
                    prompts["Mirror of doubt"],
                    prompts["Ledger of days"],
                ],
                codex_clauses=["memory", "honesty"],
            )
        self._seed_more(users=users, assistants=assistants, prompts=prompts)

    def _seed_versions(self, prompt: Prompt) -> None:
        """A prompt with three versions and its ``live`` label on the second."""
        for body, message in VERSIONS[prompt.version - 1 :]:
            prompt = services.prompt_update(prompt=prompt, body=body, message=message)
        services.label_move(prompt=prompt, name="live", number=2)

    def _seed_more(self, **context) -> None:
        """The other domains' demo data: each installed app's ``demo.seed``, found like admin
        modules are (core names no app above it), in INSTALLED_APPS order, which is dependency
        order. Each is idempotent."""
        for app in apps.get_app_configs():
            if app.name != "core" and module_has_submodule(app.module, "demo"):
                import_module(f"{app.name}.demo").seed(**context)
