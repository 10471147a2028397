"""The URLs of an assistant's mentorship page, tag and adopt actions."""


def tag_url(a):
    return f"/api/v1/assistants/{a.pk}/mentorship/tag/"


def adopt_url(a):
    return f"/api/v1/assistants/{a.pk}/mentorship/adopt/"


def page_url(a):
    return f"/api/v1/assistants/{a.pk}/mentorship/"
