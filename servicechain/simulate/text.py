"""Template text for synthetic comments and incident reports.

Each employee comment names one driver (the respondent's weakest, said negatively, or
strongest, said positively), so a theme/sentiment model can be scored against the labels
the simulator keeps. The phrases are deliberately plain and varied in framing.
"""

from __future__ import annotations

import numpy as np

EMPLOYEE_PHRASES: dict[str, dict[str, tuple[str, ...]]] = {
    "career": {
        "positive": (
            "there is a clear path for me to grow here",
            "I have had real chances to learn and step up this year",
        ),
        "negative": (
            "I can't see where my career goes from here",
            "promotions seem to go to the same few people",
        ),
    },
    "manager": {
        "positive": (
            "my manager backs me and gives honest feedback",
            "my manager makes time for me every week",
        ),
        "negative": (
            "my manager rarely checks in or gives any feedback",
            "I don't feel supported by my manager",
        ),
    },
    "pay": {
        "positive": (
            "the pay and benefits feel fair for the work",
            "I was pleased with this year's pay review",
        ),
        "negative": (
            "the pay has not kept up with the cost of living",
            "our benefits are weaker than at other employers nearby",
        ),
    },
    "worklife": {
        "positive": (
            "rotas are predictable so I can plan my life",
            "I can balance my hours with my family",
        ),
        "negative": (
            "last-minute rota changes make it hard to plan anything",
            "the hours leave me almost no time for my family",
        ),
    },
    "tools": {
        "positive": (
            "our systems and kit make the job easy",
            "the new handheld devices save us a lot of time",
        ),
        "negative": (
            "the till and booking systems keep crashing",
            "we waste time working around slow systems",
        ),
    },
    "training": {
        "positive": (
            "the training prepared me well for the job",
            "we get proper training whenever something changes",
        ),
        "negative": (
            "I was thrown in without proper training",
            "nobody trains us when products change",
        ),
    },
    "recognition": {
        "positive": (
            "good work gets noticed and thanked here",
            "I felt really appreciated after a difficult week",
        ),
        "negative": (
            "nobody notices when we go the extra mile",
            "we only hear from head office when something goes wrong",
        ),
    },
    "empowerment": {
        "positive": (
            "I am trusted to sort out a customer's problem on the spot",
            "I can fix things for customers without waiting for sign-off",
        ),
        "negative": (
            "I have to ask permission for every small refund or fix",
            "customers wait while I chase approval for simple things",
        ),
    },
    "purpose": {
        "positive": (
            "I understand why our work matters to customers",
            "I know the reasons behind the changes we make",
        ),
        "negative": (
            "changes arrive without any explanation of why",
            "I don't see how my work makes a difference",
        ),
    },
    "wellbeing": {
        "positive": (
            "I feel safe to speak up and my wellbeing is taken seriously",
            "we are backed up when a customer becomes abusive",
        ),
        "negative": (
            "the stress is getting to me and I don't feel safe raising it",
            "abuse from customers is brushed aside",
        ),
    },
    "teamwork": {
        "positive": (
            "my team pulls together when it gets busy",
            "colleagues always help each other out",
        ),
        "negative": (
            "there is little cooperation between shifts",
            "other departments don't help us solve customer problems",
        ),
    },
}

CUSTOMER_PHRASES: dict[str, dict[str, tuple[str, ...]]] = {
    "friendliness": {
        "positive": ("the person I spoke to was warm and friendly", "staff were really polite"),
        "negative": ("the staff member seemed uninterested", "I was spoken to quite rudely"),
    },
    "competence": {
        "positive": ("they knew exactly what to do", "the advice I got was expert"),
        "negative": ("they didn't seem to know the products", "I got conflicting information"),
    },
    "speed": {
        "positive": ("it was quick and easy", "I was served straight away"),
        "negative": ("I waited far too long", "it took ages to get through"),
    },
    "fcr": {
        "positive": ("my problem was sorted first time", "everything was resolved in one go"),
        "negative": (
            "nothing was fixed and I will have to contact you again",
            "my issue is still not resolved",
        ),
    },
}

FRAMES = {
    "positive": (
        "{}.",
        "What I value most is that {}.",
        "Honestly, {}.",
        "{}, and that makes a real difference.",
    ),
    "negative": (
        "{}.",
        "My biggest frustration is that {}.",
        "Please sort this out: {}.",
        "{}, and it is wearing people down.",
    ),
}

CUSTOMER_FRAMES = {
    "positive": ("{}.", "Great service: {}.", "{}, thank you!"),
    "negative": ("{}.", "Disappointing: {}.", "{}, which was frustrating."),
}

INCIDENT_DESCRIPTIONS = {
    1: (
        "Customer used rude and insulting language towards the colleague.",
        "Customer was repeatedly dismissive and sarcastic during the contact.",
    ),
    2: (
        "Customer shouted at the colleague and made personal insults.",
        "Customer used discriminatory language and refused to calm down.",
    ),
    3: (
        "Customer threatened the colleague; security was called.",
        "Customer made threats of violence; the contact was ended and reported.",
    ),
}


def compose(
    themes: np.ndarray,
    negative: np.ndarray,
    phrases: dict[str, dict[str, tuple[str, ...]]],
    frames: dict[str, tuple[str, ...]],
    rng: np.random.Generator,
) -> np.ndarray:
    """Build one comment per row from a theme name and a sentiment flag."""
    n = themes.size
    phrase_pick = rng.random(n)
    frame_pick = rng.random(n)
    out = np.empty(n, dtype=object)
    for i in range(n):
        sentiment = "negative" if negative[i] else "positive"
        options = phrases[themes[i]][sentiment]
        frame_options = frames[sentiment]
        text = frame_options[int(frame_pick[i] * len(frame_options))].format(
            options[int(phrase_pick[i] * len(options))]
        )
        out[i] = text[0].upper() + text[1:]
    return out


def incident_descriptions(severity: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One description per incident, worded by severity (1 = rude, 3 = threatening)."""
    pick = rng.random(severity.size)
    return np.array(
        [
            INCIDENT_DESCRIPTIONS[int(s)][int(p * len(INCIDENT_DESCRIPTIONS[int(s)]))]
            for s, p in zip(severity, pick, strict=True)
        ],
        dtype=object,
    )
