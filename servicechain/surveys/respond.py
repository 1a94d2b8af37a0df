"""The respondent's pages: the survey behind a link, with no login (mounted at /s/).

Every outcome has its own clear page: the form, "thank you", "already answered",
"this survey is closed" (410) and "this link is not valid" (404). The last one is the same
page, byte for byte, for any unknown token, so guessing links teaches nothing about which
waves or invitations exist. Pages are never cached and send no referrer to other sites,
because the token in the address is the respondent's key.
"""

from __future__ import annotations

from functools import wraps

from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache

from . import services
from .forms import answers_from_post, form_sections
from .questions import AnswerError


def _private(view):
    """No caching, no referrer to other sites, no indexing: the URL itself is a secret.

    `same-origin`, not `no-referrer`: with no referrer at all browsers send `Origin: null`
    on the form's POST, which Django's CSRF check rightly refuses.
    """

    @wraps(view)
    def wrapper(request, token, *args, **kwargs):
        response = never_cache(view)(request, token, *args, **kwargs)
        response["Referrer-Policy"] = "same-origin"
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response

    return wrapper


def _link_problem(request, error: services.SurveyLinkError):
    if isinstance(error, services.UnknownLink):
        return render(request, "surveys/respond/unknown.html", status=404)
    if isinstance(error, services.WaveClosed):
        return render(request, "surveys/respond/closed.html", {"wave": error.wave}, status=410)
    return render(request, "surveys/respond/already.html", status=200)


def _form(request, token, link, answers, errors=None, status=200):
    questions = link.questions
    return render(
        request,
        "surveys/respond/form.html",
        {
            "token": token,
            "wave": link.wave,
            "organization": link.wave.organization,
            "sections": form_sections(questions, answers, errors or {}),
            "answered": sum(1 for q in questions if q.code in answers),
            "total": len(questions),
            "errors": errors or {},
            "is_employee": link.interaction_id is None,
        },
        status=status,
    )


@_private
def survey(request, token: str):
    """GET: the form, prefilled from the draft. POST: submit, then redirect to thanks."""
    if request.method not in ("GET", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    try:
        link = services.link_resolve(token)
        services.link_check(link, timezone.now())
    except services.SurveyLinkError as error:
        return _link_problem(request, error)
    if request.method == "GET":
        return _form(request, token, link, services.draft_answers(token))
    answers = answers_from_post(link.questions, request.POST)
    try:
        services.response_submit(token=token, answers=answers)
    except AnswerError as error:
        return _form(request, token, link, answers, errors=error.errors, status=422)
    except services.SurveyLinkError as error:
        return _link_problem(request, error)
    return redirect("respond:thanks", token)


@_private
def draft(request, token: str):
    """HTMX autosave: store what has been answered so far; answer with a status line."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        link = services.link_resolve(token)
        answers = answers_from_post(link.questions, request.POST)
        saved = services.draft_save(token=token, answers=answers)
    except AnswerError as error:
        return render(request, "surveys/respond/_saved.html", {"errors": error.errors}, status=200)
    except services.SurveyLinkError as error:
        # A status line, not a whole page: this answers an HTMX request from the form.
        return render(
            request, "surveys/respond/_saved.html", {"problem": str(error)}, status=error.status
        )
    return render(
        request,
        "surveys/respond/_saved.html",
        {"answered": len(saved), "total": len(link.questions), "at": timezone.now()},
    )


@_private
def thanks(request, token: str):
    try:
        link = services.link_resolve(token)
    except services.UnknownLink as error:
        return _link_problem(request, error)
    if not link.responded:
        return redirect("respond:form", token)
    return render(request, "surveys/respond/thanks.html", {"wave": link.wave})
