"""Mentor tags, mentorship logs and the mentorship overview."""

from rest_framework import serializers

from api.fields import (
    ActingAssistantField,
    FiniteFloatField,
    PrimaryKeyListField,
    VisiblePromptListField,
)
from core.models import Prompt
from mentorship.models import (
    AssistantMentorTag,
    PromptMentorshipLog,
)

NOTES_MAX = 5000


class MentorTagWriteSerializer(serializers.Serializer):
    mentorship_notes = serializers.CharField(
        max_length=NOTES_MAX, allow_blank=True, required=False, default=""
    )
    offered_prompts = VisiblePromptListField(
        distinct=True,
        min_length=1,
        max_length=100,
        help_text="Ids of the assistant's own public prompts it offers to mentees.",
    )


class MentorTagSerializer(serializers.ModelSerializer):
    offered_prompts = PrimaryKeyListField(
        queryset=Prompt.objects.all(), distinct=True, max_length=100, read_only=True
    )

    class Meta:
        model = AssistantMentorTag
        fields = [
            "assistant",
            "mentorship_notes",
            "offered_prompts",
            "mentor_score",
            "feedback_count",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class MentorshipLogSerializer(serializers.ModelSerializer):
    """A mentorship. ``trust_delta`` is null until the mentee's owner gives feedback."""

    prompt_set = PrimaryKeyListField(
        queryset=Prompt.objects.all(), distinct=True, max_length=100, read_only=True
    )
    trust_delta = serializers.SerializerMethodField()

    class Meta:
        model = PromptMentorshipLog
        fields = [
            "id",
            "mentor",
            "mentee",
            "prompt_set",
            "mutation_notes",
            "trust_delta",
            "feedback_at",
            "created_at",
        ]
        read_only_fields = fields

    def get_trust_delta(self, obj) -> float | None:
        return obj.trust_delta if obj.feedback_at is not None else None


class OfferedPromptSerializer(serializers.ModelSerializer):
    class Meta:
        model = Prompt
        fields = ["id", "title", "trust_score"]
        read_only_fields = fields


class MentorshipOverviewSerializer(serializers.Serializer):
    """An assistant's mentorship page: its tag (if it mentors) and its latest mentorships."""

    assistant = serializers.IntegerField()
    is_mentor = serializers.BooleanField()
    mentorship_notes = serializers.CharField(allow_null=True)
    mentor_score = serializers.FloatField(allow_null=True)
    feedback_count = serializers.IntegerField()
    offered_prompts = OfferedPromptSerializer(many=True)
    mentorships_given = MentorshipLogSerializer(many=True, help_text="The latest 10, newest first.")
    mentorships_received = MentorshipLogSerializer(
        many=True, help_text="The latest 10, newest first."
    )


class MentorshipAdoptSerializer(serializers.Serializer):
    mentee = ActingAssistantField(help_text="The acting assistant that adopts; one of yours.")
    prompts = VisiblePromptListField(
        distinct=True,
        min_length=1,
        max_length=100,
        required=False,
        help_text="A subset of the offered prompts; all of them when omitted.",
    )
    mutation_notes = serializers.CharField(
        max_length=NOTES_MAX, allow_blank=True, required=False, default=""
    )


class MentorshipFeedbackSerializer(serializers.Serializer):
    trust_delta = FiniteFloatField(min_value=-1.0, max_value=1.0)
