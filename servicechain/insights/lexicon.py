"""Words and phrases that `themes` reads comments with (written for this project).

Three tables:

* ``VALENCE``: how much a word or phrase praises (> 0) or complains (< 0), on VADER's
  scale of about -3 to +3 (Hutto & Gilbert 2014), chosen for what words mean in comments
  about work and service: "waited", "rota changed at the last minute", "thrown in" and
  "sign-off" complain; "sorted", "first time" and "straight away" praise.
* the rule words: negators, contrasts, intensifiers, requests and ironic cues.
* ``DRIVER_PHRASES``: for each driver of the item bank (employee and customer), the words
  and phrases that say a comment is about it, weighted 1 (a hint: "manager", "team") to
  3 (decisive: "rota", "promotion", "induction"), written from the items' wording and
  everyday synonyms. ``OTHER_PHRASES`` name common topics that are no driver (the car
  park, prices, the survey itself), so such comments are not forced onto a driver.

A trailing ``*`` in a driver phrase matches any ending ("promot*": promoted, promotion).
Words are written as the tokeniser produces them: lower case, "n't" spelt out as "not",
a possessive or contracted ending dropped ("manager's" → "manager", "I'm" → "i").
"""

from __future__ import annotations

# ----------------------------------------------------------------------------- sentiment

# fmt: off

VALENCE: dict[str, float] = {
    # praise, general
    "good": 1.5, "great": 2.0, "excellent": 2.5, "brilliant": 2.5, "fantastic": 2.5,
    "amazing": 2.5, "wonderful": 2.5, "superb": 2.5, "outstanding": 2.5, "lovely": 2.0,
    "nice": 1.5, "nicer": 2.0, "nicely": 2.0, "happy": 2.0, "happier": 2.0, "pleased": 2.0,
    "pleasantly": 1.5, "pleasant": 1.5, "glad": 1.5, "love": 2.5, "loved": 2.5, "loves": 2.5,
    "enjoy": 2.0, "enjoyed": 2.0, "best": 2.5, "better": 1.5, "improved": 1.5, "improvement": 1.5,
    "helpful": 2.0, "useful": 1.5, "perfect": 2.0, "impressed": 2.0, "well": 1.0, "worth": 1.0,
    "welcome": 1.5, "welcoming": 2.0, "relief": 2.0, "finally": 0.5, "thank": 1.5, "thanks": 1.5,
    "thank you": 1.5, "thank-you": 1.5, "credit to": 2.0, "spot on": 2.5, "no problem": 1.5,
    "no problems": 1.5, "no issues": 1.5, "no complaints": 2.0, "can not fault": 2.5,
    "could not fault": 2.5, "can not complain": 1.5, "made my week": 2.5, "made my day": 2.5,
    "a big difference": 1.5, "a huge difference": 1.5, "a real difference": 1.5,
    "difference": 1.0, "matters": 1.5, "matter": 1.0, "made sense": 1.5, "makes sense": 1.5,
    "keeps me going": 2.0, "keeps me here": 2.0, "makes me want to stay": 2.0,
    "made me want to stay": 2.0, "interesting": 1.5, "rewarding": 2.0, "proud": 2.0, "pride": 1.5,
    "time for me": 1.5, "time for us": 1.5, "makes time": 1.5, "means a lot": 2.0,
    "meant a lot": 2.0, "mean a lot": 2.0, "everything i needed": 1.5,
    "everything we needed": 1.5, "make up for": 1.5, "makes up for": 1.5, "made up for": 1.5,
    "explains": 1.0, "explained": 1.0, "recommend": 1.5, "shop here again": 2.0,
    "use you again": 2.0, "come here again": 2.0, "predictable": 1.5, "can plan": 1.5,
    "can balance": 1.5, "save us": 1.5, "saves us": 1.5, "saves everyone": 1.5,
    "save time": 1.5, "saves time": 1.5, "know the reasons": 1.5, "know the reason": 1.5,
    "know why": 1.5, "understand why": 1.5,
    "improve": 1.0, "approved": 1.0, "fine": 0.5, "agree": 0.5, "delighted": 2.5,
    "fab": 2.0, "swift": 1.5, "swiftly": 1.5, "speedy": 1.5, "efficiently": 1.5,
    "faster": 1.0, "quicker": 1.0, "intuitive": 1.5, "attentive": 2.0, "keen": 1.0,
    "enthusiastic": 2.0, "grateful": 2.0, "thankful": 2.0, "motivated": 2.0,
    "valuable": 1.5, "inspiring": 2.0, "satisfied": 1.5, "competitive": 1.0,
    "personable": 2.0, "skilled": 1.5, "experienced": 1.0, "qualified": 1.0,
    "pat on the back": 1.5, "kudos": 2.0, "instantly": 1.0, "immediately": 1.0,
    # people and attitude
    "friendly": 2.0, "polite": 2.0, "courteous": 2.0, "kind": 2.0, "patient": 1.5,
    "cheerful": 2.0, "warm": 1.5, "warmest": 2.0, "smile": 1.0, "smiled": 1.5, "smiling": 1.5,
    "approachable": 2.0, "supportive": 2.0, "supported": 1.5, "support": 1.0, "caring": 1.5,
    "cares": 1.5, "honest": 1.5, "fair": 1.5, "generous": 2.0, "decent": 1.5, "respect": 1.5,
    "respects": 1.5, "listen": 1.0, "listens": 1.5, "listened": 1.5, "in our corner": 2.0,
    "backed me up": 2.0, "backed us up": 2.0, "backs us up": 2.0, "back us up": 1.5,
    "backed up": 2.0, "stepped in": 1.0, "like family": 2.0, "pull together": 2.0,
    "pulls together": 2.0, "pulled together": 2.0, "together": 0.5, "help each other": 2.0,
    "helps each other": 2.0, "help": 1.0, "helps": 1.0, "helped": 1.5, "pull their weight": 1.0,
    "team spirit": 1.5, "happy to help": 2.0, "trust": 1.5, "trusted": 2.0, "freedom": 2.0,
    "empowered": 2.0, "empowering": 2.0, "safe": 1.5, "openly": 1.0, "seriously": 1.0,
    "valued": 2.0, "value": 1.0, "appreciated": 2.0, "appreciate": 2.0, "appreciation": 2.0,
    "recognised": 1.5, "noticed": 1.5, "celebrated": 2.0, "praised": 1.5, "thanked": 2.0,
    "shout-out": 2.0, "nice touch": 2.0, "well done": 2.0,
    # competence and results
    "knowledgeable": 2.0, "expert": 2.0, "competent": 2.0, "professional": 1.5, "accurate": 1.5,
    "knew": 1.0, "understood": 1.0, "clear": 1.0, "clearly explained": 2.0,
    "knew their stuff": 2.0, "knew her stuff": 2.0, "knew his stuff": 2.0,
    "knew what they were doing": 2.0, "knew what she was doing": 2.0,
    "knew what he was doing": 2.0, "thorough": 1.5, "practical": 1.0, "relevant": 1.0,
    "ready": 1.0, "confident": 1.5, "reliable": 1.5, "resolved": 2.0, "sorted": 1.5,
    "solved": 2.0, "fixed": 1.5, "fix": 1.0, "dealt with": 1.0, "first time": 1.5,
    "in one go": 1.5, "in one call": 1.5, "in one visit": 1.5, "one visit": 1.0, "one call": 1.0,
    "there and then": 1.5, "on the spot": 1.0, "what i came for": 1.5, "as promised": 1.5,
    "opportunities": 1.5, "opportunity": 1.5, "chances": 1.0, "progression": 1.0, "promoted": 1.0,
    "grow": 1.0, "learn": 0.5, "learnt": 0.5, "next step": 1.0, "next steps": 1.0,
    "manageable": 1.5, "flexible": 2.0, "flexibility": 2.0, "balance": 0.5, "on time": 1.0,
    "proper": 1.0, "properly": 1.0, "easy": 1.5, "easier": 1.5, "quick": 1.5, "quickly": 1.5,
    "fast": 1.5, "prompt": 1.5, "promptly": 1.5, "efficient": 1.5, "straight away": 1.5,
    "in and out": 1.0, "normal": 0.5, "good value": 2.0, "clean": 1.5,
    # phrases that carry no feeling although a word in them would
    "what was wrong": 0.0, "what is wrong": 0.0, "difference between": 0.0, "to help": 0.0,
    "differences between": 0.0, "sensible": 1.5, "first time visiting": 0.0,
    "first time using": 0.0, "first time here": 0.0,
    # complaints, general
    "bad": -2.0, "poor": -2.0, "poorly": -1.5, "badly": -1.5, "terrible": -3.0, "awful": -3.0,
    "horrible": -2.5, "appalling": -3.0, "dreadful": -3.0, "rubbish": -2.5, "useless": -2.5,
    "pointless": -2.0, "ridiculous": -2.0, "a joke": -2.0, "joke": -1.5, "disgrace": -3.0,
    "disgraceful": -3.0, "shocking": -2.5, "unacceptable": -2.5, "disappointing": -2.0,
    "disappointed": -2.0, "disappointment": -2.0, "frustrating": -2.0, "frustrated": -2.0,
    "frustration": -2.0, "annoying": -2.0, "angry": -2.0, "upset": -2.0, "unhappy": -2.0,
    "hate": -2.5, "hated": -2.5, "shame": -1.5, "worse": -1.5, "worst": -2.5, "fed up": -2.0,
    "sick of": -2.0, "tired of": -2.0, "waste": -2.0, "wasted": -2.0, "wasting": -2.0,
    "lose": -1.0, "lost": -1.0, "struggle": -1.5, "struggling": -2.0, "difficult": -1.5,
    "hard": -1.0, "impossible": -2.0, "embarrassing": -2.0, "worried": -1.5, "guilty": -1.5,
    "forgotten": -1.5, "forced": -1.5, "chaos": -2.0, "chaotic": -2.0, "mess": -2.0,
    "shambles": -2.5, "disorganised": -2.0, "vague": -1.5, "confusing": -1.5, "confused": -1.5,
    "stuck": -1.0, "nowhere to go": -2.0, "dead end": -2.0, "nothing to aim for": -2.0,
    "same job": -0.5, "same people": -1.5, "same few": -1.5, "behind closed doors": -2.0,
    "unfair": -2.0, "unfairly": -2.0, "favouritism": -2.5, "less than": -1.0, "underpaid": -2.5,
    "gone up": -1.0, "went up": -1.0, "going up": -1.0, "expensive": -1.0, "overpriced": -2.0,
    "cheap": -0.5, "dirty": -2.0, "overflowing": -1.5, "cold": -1.0, "uncomfortable": -1.5,
    "loud": -1.0, "broke": -2.0, "broken": -2.0, "thanks for nothing": -3.0,
    "cheers for nothing": -3.0,
    # people and attitude
    "rude": -2.5, "rudely": -2.5, "abrupt": -1.5, "dismissive": -2.0, "condescending": -2.0,
    "uninterested": -2.0, "unfriendly": -2.0, "unhelpful": -2.0, "impatient": -1.5,
    "sighing": -1.5, "sighed": -1.5, "rolled his eyes": -2.0, "rolled her eyes": -2.0,
    "rolled their eyes": -2.0, "bothering": -1.5, "ignored": -2.0, "ignore": -1.5,
    "unnoticed": -2.0, "unappreciated": -2.5, "undervalued": -2.5, "taken for granted": -2.5,
    "blame": -2.0, "blamed": -2.0, "blames": -2.0, "takes credit": -2.0, "tell us off": -2.0,
    "told off": -2.0, "hard to reach": -2.0, "never around": -2.0, "cliques": -2.0,
    "gossip": -1.5, "left out": -2.0, "for themselves": -1.5, "the enemy": -2.0,
    "micromanaged": -2.0, "micromanage": -2.0, "micromanaging": -2.0,
    # strain and safety
    "stress": -2.0, "stressed": -2.0, "stressful": -2.0, "exhausted": -2.5, "exhausting": -2.5,
    "burnt out": -3.0, "burned out": -3.0, "burnout": -3.0, "worn out": -2.5, "tired": -1.5,
    "anxious": -2.0, "anxiety": -2.0, "dread": -2.5, "scared": -2.0, "afraid": -2.0, "fear": -2.0,
    "unsafe": -2.5, "abuse": -2.5, "abusive": -2.5, "abused": -2.5, "shouted": -2.0,
    "sworn at": -2.5, "spat": -2.5, "threatened": -2.0, "aggressive": -2.0, "brushed aside": -2.5,
    "pressure": -1.5, "overworked": -2.5, "drowning": -2.5, "overwhelmed": -2.0, "tough": -1.0,
    # workload and hours
    "short-staffed": -2.0, "short staffed": -2.0, "understaffed": -2.0, "short of": -1.5,
    "work of two": -2.0, "last-minute": -1.5, "last minute": -1.5, "short notice": -1.5,
    "called in": -1.0, "cancelled": -1.5, "split shifts": -1.0, "late": -1.0, "stay late": -1.5,
    "early starts": -0.5,
    # tools and process
    "crash": -2.0, "crashes": -2.0, "crashing": -2.0, "crashed": -2.0, "freeze": -2.0,
    "freezes": -2.0, "frozen": -2.0, "jams": -1.5, "drops": -1.0, "logs us out": -1.5,
    "rebooting": -1.0, "fighting": -1.5, "working around": -1.5, "scattered": -1.0, "slow": -1.5,
    "slowly": -1.5, "painfully": -1.0, "fault": -1.0, "faulty": -1.5, "problem": -0.5,
    "permission": -1.0, "ask permission": -1.5, "sign-off": -1.0, "sign off": -1.0, "chase": -1.0,
    "by the script": -1.0, "thrown in": -1.5, "deep end": -1.5, "rushed": -1.5, "left to": -1.0,
    "on my own": -0.5, "on their own": -0.5,
    # service and resolution
    "wrong": -2.0, "incorrect": -2.0, "conflicting": -2.0, "guessing": -1.5, "mistake": -1.0,
    "mistakes": -1.0, "wait": -0.5, "waited": -1.0, "waiting": -0.5, "queue": -1.0,
    "queues": -1.0, "on hold": -1.5, "hold music": -1.5, "ages": -1.5, "long": -1.0,
    "long line": -1.5, "long queue": -1.5, "long wait": -1.5, "half an hour": -1.0, "an hour": -1.0, "over an hour": -1.5,
    "weaker": -1.5, "wearing people down": -2.0, "wearing me down": -2.0,
    "wearing us down": -2.0, "have to ask": -1.0,
    "unprofessional": -2.0, "incompetent": -2.5, "careless": -2.0, "lazy": -2.0,
    "nightmare": -2.5, "hassle": -1.5, "sluggish": -1.5, "laggy": -1.5, "glitch": -1.5,
    "glitches": -1.5, "buggy": -1.5, "outdated": -1.5, "clunky": -1.5, "unreliable": -2.0,
    "slower": -1.0, "demotivated": -2.5, "low": -1.0, "toxic": -3.0, "bullying": -3.0,
    "bullied": -3.0, "harassment": -3.0, "harassed": -3.0, "unsupported": -2.0,
    "isolated": -2.0, "lonely": -2.0, "boring": -1.5, "repetitive": -1.0, "unclear": -1.5,
    "unrealistic": -2.0, "exploited": -2.5, "insulting": -2.5, "pathetic": -2.5,
    "stingy": -2.0, "dissatisfied": -2.0, "unsatisfied": -2.0, "clueless": -2.5,
    "misinformed": -2.0, "misleading": -2.0, "incorrectly": -2.0, "fobbed off": -2.5,
    "runaround": -2.0, "run around": -2.0, "chasing": -1.5, "stretched": -1.5,
    "overstretched": -2.0, "skeleton staff": -1.5, "grumpy": -2.0, "arrogant": -2.0,
    "inexperienced": -1.5, "red tape": -1.5, "bureaucracy": -1.5, "violence": -2.5,
    "violent": -2.5, "still waiting": -1.5,
    "it took": -1.0, "took a while": -1.0, "had to ask": -1.0, "not even": -1.5, "delayed": -1.5,
    "delay": -1.5, "missed": -1.5, "gave up": -2.0, "unresolved": -2.5, "third time": -2.0,
    "same fault": -1.5, "same problem": -1.5, "passed between": -2.0, "passed around": -2.0,
    "no record": -1.5, "ring again": -1.5, "call again": -1.5, "contact you again": -1.5,
    "come back": -1.0, "call back": -1.0,
}

#: Words that turn the next praise or complaint in their clause around ("no one fixed it").
#: Left with nothing to turn, they complain a little on their own ("no career talks").
NEGATORS = frozenset(
    {
        "not", "no", "never", "nothing", "nobody", "no one", "none", "without", "hardly",
        "barely", "rarely", "seldom", "neither", "nor", "no longer", "no more", "nowhere", "lack",
        "lacked", "lacking", "lacks", "not once", "little",
    }
)
BARE_NEGATION = -1.0
#: A clause that ends on its negator denies what came before: "the hours are not".
ELLIPTICAL_NEGATION = -1.5

#: Phrases that say there is nothing to say; they carry no sentiment and no negation.
NOTHING_TO_SAY = frozenset(
    {"no comment", "no comments", "nothing to add", "nothing else", "nothing to report", "n/a"}
)

#: "but": what follows outweighs what came before. "although", "though", "even though",
#: "despite" open a concession that the main clause outweighs.
CONTRASTS = frozenset({"but", "however", "yet", "though", "instead"})
CONCESSIONS = frozenset({"although", "though", "even though", "despite", "whilst", "while"})
#: A clause opened by these sets the scene ("when a customer shouted, ..."): it counts half.
CIRCUMSTANCES = frozenset({"when", "whenever", "unless"})
CONTRAST_WEIGHT, CONCEDED_WEIGHT, CIRCUMSTANCE_WEIGHT = 1.5, 0.5, 0.5

INTENSIFIERS = frozenset(
    {
        "really", "very", "so", "extremely", "genuinely", "absolutely", "completely", "totally",
        "incredibly", "super", "truly", "such", "far", "utterly", "always",
    }
)
DAMPENERS = frozenset({"quite", "slightly", "fairly", "somewhat", "rather", "a bit", "a little"})
INTENSIFY, DAMPEN, TOO = 1.3, 0.8, -1.5

#: A negator's reach ends at these words ("nobody checks on you | after a difficult call").
SCOPE_ENDS = frozenset(
    {"and", "because", "after", "before", "since", "until", "during", "which", "so", "then"}
)
#: "no" governs its noun only: its reach also ends at the verb ("no sick pay | is unfair").
NOUN_SCOPE_NEGATORS = frozenset({"no", "no more"})
VERBS_ENDING_NOUN_SCOPE = frozenset(
    {
        "is", "are", "was", "were", "has", "have", "had", "will", "would", "can", "do", "does",
        "did", "be", "been", "makes", "made", "feels", "seems",
    }
)
#: A clause with these regrets what did not happen: its praise counts as complaint
#: ("proper training would have made a huge difference").
COUNTERFACTUALS = frozenset({("would", "have"), ("could", "have"), ("should", "have")})

#: After a negator, these keep the praise ("could not have been nicer", "never so well").
NEGATION_KEEPERS = frozenset({"so", "such", "nicer", "better", "happier", "more", "kinder"})

#: A clause that asks or suggests is mostly neutral: its words count a quarter.
REQUEST_OPENERS = frozenset(
    {
        "could", "can we", "can you", "can someone", "can i", "would", "will there", "is there",
        "are there", "is the", "please", "maybe", "perhaps", "it would", "i would like",
        "i would love", "we could", "should we", "what is", "what are", "how about",
    }
)
QUESTION_OPENERS = frozenset(
    {"is", "are", "will", "can", "could", "would", "do", "does", "what", "when", "where", "who"}
)
REQUEST_WEIGHT = 0.2

#: Phrases that turn the praise in their sentence into complaint ("how generous"); those
#: without a valence of their own complain with `IRONY_VALENCE`.
IRONY_CUES = frozenset(
    {
        "thanks for nothing", "cheers for nothing", "how generous", "how kind", "how thoughtful",
        "if you enjoy", "if you like", "yeah right", "what a surprise", "just what we needed",
        "just what i needed", "love having to", "love being told", "love waiting",
    }
)
IRONY_VALENCE = -1.5
#: Words that may open an ironic sentence ("Great, another ...", "Oh brilliant, ...").
IRONY_OPENER_FILLERS = frozenset({"oh", "so", "just", "well"})

# ----------------------------------------------------------------------------- drivers

DRIVER_PHRASES: dict[str, dict[str, float]] = {
    # employee drivers
    "career": {
        "climb": 2, "ladder": 2.5, "secondment*": 3, "mentor*": 1.5,
        "career": 3, "promot*": 3, "progression": 3, "progress": 2, "next step*": 3, "way up": 3,
        "move up": 3, "step up": 3, "development plan*": 3, "development scheme": 3,
        "development": 1.5, "leadership programme": 3, "internal role*": 3, "internal job*": 3,
        "internally": 2.5, "apprentice*": 3, "qualification*": 2, "appraisal*": 2, "grow": 2,
        "learn and grow": 3, "learnt more": 2, "aim for": 2, "senior role*": 2.5,
        "senior job*": 2.5, "job advert*": 2, "from outside": 2, "externally": 2, "same job": 1.5,
        "moving into": 2, "move into": 2, "move between": 2, "ambition*": 2, "future here": 2,
        "route to": 2, "nowhere to go": 2.5, "still here": 1.5, "more responsibility": 2,
        "opportunities to": 2, "chances to": 2, "prospects": 3, "pathway*": 2,
        "stepping stone": 3,
    },
    "manager": {
        "manager": 1, "my manager": 1.5, "line manager": 2, "boss": 2, "supervisor": 1.5,
        "management": 1.5, "team leader": 1, "feedback": 2, "one-to-one*": 2.5, "1:1*": 2.5,
        "checks in": 2, "check in": 2, "checked in": 2, "cares about": 1.5, "approachable": 2.5,
        "hard to reach": 2.5, "impossible to reach": 2.5, "never around": 2, "listen*": 1.5,
        "tell us off": 2, "told off": 2, "takes credit": 2, "knew my name": 2, "where i stand": 2,
        "strict": 1.5, "in our corner": 2, "with my manager": 1.5, "held against": 1.5,
        "managers": 1,
    },
    "pay": {
        "raise": 2, "payslip*": 3, "commission": 2.5, "perks": 2.5, "holiday pay": 3,
        "pay": 3, "paid": 3, "salary": 3, "salaries": 3, "wage*": 3, "bonus*": 3, "benefit*": 2.5,
        "pension*": 3, "pay rise": 3, "rise": 1.5, "overtime": 2.5, "sick pay": 3,
        "allowance*": 2.5, "discount": 2, "voucher*": 2, "afford": 2, "cost of living": 2.5,
        "earn*": 3, "money": 1.5, "per cent": 1.5, "rates": 1,
    },
    "worklife": {
        "schedule*": 2, "breaks": 2, "lunch": 1.5,
        "rota*": 3, "hours": 2.5, "shift*": 1, "split shifts": 3, "days off": 3, "day off": 3,
        "holiday*": 2.5, "annual leave": 3, "work-life": 3, "balance": 2, "workload": 3,
        "short-staffed": 2.5, "short staffed": 2.5, "understaffed": 2.5, "work of two": 3,
        "stay late": 2.5, "hour late": 2.5, "late finish*": 2.5, "finish on time": 3,
        "early start*": 2, "called in": 2.5, "last-minute": 2, "last minute": 2,
        "plan my life": 2.5, "plan anything": 2.5, "planning my life": 2.5, "family": 1.5,
        "kids": 2, "children": 2, "flexib*": 2.5, "weekends": 2, "evenings": 1.5,
        "too much work": 3, "too few people": 3, "swapping shifts": 2.5, "swap shifts": 2.5,
        "shift preferences": 2.5, "keep up": 2, "time for my": 2, "life outside": 2.5,
        "working hours": 3, "overtime": 1, "part-time": 1,
    },
    "tools": {
        "crm": 3, "portal": 2.5, "intranet": 3, "email*": 1, "password*": 2.5, "helpdesk": 3,
        "help desk": 3, "van": 2, "vans": 2, "tools": 3, "resources": 2,
        "system": 2.5, "systems": 2.5, "till": 2.5, "tills": 2.5, "equipment": 3, "kit": 3,
        "scanner*": 3, "handheld*": 3, "device*": 3, "laptop*": 3, "computer*": 3, "printer*": 3,
        "software": 3, "app": 2.5, "wi-fi": 3, "wifi": 3, "headset*": 3, "screen*": 2,
        "database": 2.5, "knowledge base": 3, "card machine*": 3, "crash*": 2, "freez*": 2,
        "logs us out": 2, "log in": 2, "log-in*": 2, "login*": 2, "stock system": 3,
        "booking system": 3, "reboot*": 3, "information": 1.5, "easy to find": 1.5, "phone*": 1,
        "tablet*": 3, "network": 2.5, "broken": 1,
    },
    "training": {
        "learning": 1.5, "workshop*": 2.5, "webinar*": 2.5, "upskill*": 2.5, "mentor*": 1.5,
        "train*": 3, "induction": 3, "course": 2.5, "courses": 2.5, "e-learning": 3,
        "module*": 2.5, "coaching": 2.5, "showed us how": 2.5, "show us how": 2.5,
        "shown how": 2.5, "showed me": 2.5, "taught": 2.5, "teach*": 2.5, "handover": 2,
        "deep end": 3, "thrown in": 3, "first day": 2, "first week*": 1.5, "new starters": 1.5,
        "buddy": 2, "work it out": 2, "how to": 1.5, "refresher*": 3, "onboarding": 3,
        "shadow*": 2.5, "hands-on": 2, "learnt it": 2, "prepared me": 2, "ready to serve": 2,
    },
    "recognition": {
        "reward*": 2, "kudos": 3, "pat on the back": 3,
        "thank*": 2.5, "recognition": 3, "recognis*": 3, "noticed": 2.5, "unnoticed": 3,
        "notices": 2.5, "appreciat*": 3, "unappreciated": 3, "valued": 3, "undervalued": 3,
        "value us": 2.5, "praise*": 3, "shout-out*": 3, "award*": 3, "colleague of the month": 3,
        "credit for": 2, "acknowledg*": 3, "celebrat*": 2.5, "extra effort": 2.5, "extra mile": 3,
        "hard work": 1.5, "well done": 3, "nice touch": 1, "taken for granted": 3, "covered": 1,
        "extra shifts": 1.5, "hear from": 2,
    },
    "empowerment": {
        "autonomy": 3, "discretion": 3, "red tape": 2.5, "bureaucracy": 2.5, "rules": 1,
        "policy": 1, "override": 2.5,
        "permission": 3, "sign-off": 3, "sign off": 3, "approval": 2.5, "authoris*": 3,
        "authoriz*": 3, "judgement": 3, "trust us": 3, "trusted to": 3, "trusted": 2,
        "be trusted": 3, "freedom": 3, "on the spot": 2, "goodwill": 3, "refund limit": 3,
        "refund": 1.5, "refunds": 1.5, "decisions for": 2.5, "make decisions": 2.5,
        "decision": 1.5, "micromanag*": 3, "script": 2.5, "code": 1.5, "signature*": 3,
        "empower*": 3, "right thing": 2, "chase": 1.5, "own the": 2, "fix things": 2,
        "solve problems": 1.5, "area office": 1.5, "exchanges": 1.5, "faulty item": 1.5,
        "allowed to": 2, "let us": 2,
    },
    "purpose": {
        "vision": 2.5, "direction": 2, "goals": 1.5, "communicat*": 2,
        "why": 2.5, "reason*": 2.5, "explain*": 2, "explanation": 2.5, "strategy": 3,
        "mission": 3, "values": 2.5, "purpose": 3, "matters": 2, "matter": 2,
        "makes a difference": 2, "makes any difference": 2, "difference": 1, "proud": 2,
        "community": 2, "trying to achieve": 3, "where the company": 3, "plans for": 2,
        "briefing*": 2.5, "communication": 2, "head office": 1, "targets": 1.5, "changes": 1,
        "change": 0.5, "merger": 2.5, "find out": 1.5, "no idea": 1.5, "what we do": 2,
        "what i do": 2, "my work": 1, "decisions": 1,
    },
    "wellbeing": {
        "mental": 2, "health": 1.5, "bully*": 3, "harass*": 3, "toxic": 2, "unsafe": 3,
        "violen*": 3, "security": 2,
        "wellbeing": 3, "well-being": 3, "stress*": 3, "exhausted": 3, "burnt out": 3,
        "burned out": 3, "burnout": 3, "worn out": 3, "anxious": 3, "anxiety": 3,
        "mental health": 3, "counselling": 3, "helpline": 3, "employee assistance": 3, "abuse": 3,
        "abusive": 3, "sworn at": 3, "shouted": 3, "spat": 3, "threat*": 3, "aggressive": 3,
        "speak up": 3, "safe": 2, "scared": 2.5, "afraid": 2.5, "admit mistakes": 2.5,
        "mistakes": 1, "blamed": 1.5, "backed me up": 2.5, "back us up": 2.5, "backs us up": 2.5,
        "backed up": 2.5, "sleep": 2.5, "dread": 2.5, "struggling": 2, "difficult call": 2,
        "checks on": 1.5, "feeling": 2, "talk openly": 2, "smile more": 1, "tired": 2.5,
        "pressure": 2, "raise a concern": 1, "sick": 1, "exhausting": 3,
    },
    "teamwork": {
        "teammate*": 3, "team mates": 3, "coworker*": 3, "co-worker*": 3, "support each other": 3,
        "covering for": 2, "silo*": 3,
        "team": 1.5, "my team": 2, "our team": 2, "the team": 2, "colleagues": 2, "each other": 3,
        "pull together": 3, "pulls together": 3, "cooperation": 3, "cooperate": 3,
        "work together": 3, "worked so well together": 3, "together": 2, "departments": 2,
        "other teams": 3, "other branches": 2.5, "night shift*": 1.5, "gossip": 3, "cliques": 3,
        "pull their weight": 3, "left out": 2, "team spirit": 3, "people i work with": 3,
        "warehouse team": 2, "for themselves": 2.5, "like family": 3, "for others": 2,
        "teamwork": 3, "team work": 3,
    },
    # customer drivers
    "friendliness": {
        "attentive": 2.5, "caring": 2, "empath*": 3, "personable": 3, "approachable": 2,
        "grumpy": 3, "arrogant": 3, "impatient": 2.5,
        "friendly": 3, "unfriendly": 3, "polite": 3, "rude": 3, "rudely": 3, "courteous": 3,
        "kind": 2.5, "warm": 2.5, "warmest": 2.5, "welcom*": 2.5, "smil*": 3, "cheerful": 3,
        "hello": 2, "attitude": 3, "abrupt": 3, "dismissive": 3, "condescending": 3,
        "uninterested": 3, "eyes": 2.5, "sigh*": 2.5, "patient": 2, "made me laugh": 2.5,
        "lovely": 1.5, "nice": 1, "nicer": 2, "nicely": 2, "manner*": 3, "tone": 3,
        "bothering": 2.5, "treated": 1.5, "chat": 1.5, "respect*": 2, "helpful": 1,
        "unhelpful": 1.5, "a word": 1, "staff were": 1, "person i spoke to": 1,
    },
    "competence": {
        "clueless": 3, "misinform*": 3, "misleading": 3, "qualified": 2.5, "experienced": 2.5,
        "inexperienced": 3, "trained": 2.5, "skill*": 3,
        "knowledge*": 3, "knowledgeable": 3, "advice": 3, "expert*": 3, "competent": 3,
        "professional": 2, "knew": 2.5, "know": 2, "explain*": 2.5, "answers": 1.5,
        "information": 2, "wrong": 1.5, "guessing": 3, "understood": 2, "accurate": 2.5,
        "tips": 2.5, "ask a colleague": 2, "had to ask": 1.5, "spot on": 2.5, "conflicting": 3,
        "opposite of": 2, "manual": 1.5, "about the products": 2.5, "what they were doing": 2.5,
        "questions": 1.5, "difference between": 2, "checked the": 1.5, "which one": 1.5,
        "which charger": 1, "options": 1,
    },
    "speed": {
        "delay*": 3, "late": 2, "swift*": 3, "speedy": 3, "instantly": 2.5, "immediately": 2.5,
        "appointment": 1, "on time": 2,
        "wait*": 3, "queue*": 3, "quick*": 3, "fast": 3, "slow*": 3, "prompt*": 3,
        "straight away": 3, "ages": 2.5, "on hold": 3, "hold music": 3, "minutes": 1.5,
        "hour": 1.5, "hours": 1, "half an hour": 2, "efficient": 2, "line": 1.5, "till open": 2,
        "within the hour": 2.5, "slot": 2, "in and out": 2.5, "get through": 2.5, "busy times": 1,
        "called me back within": 2.5, "served": 1,
    },
    "fcr": {
        "chasing": 2.5, "fobbed off": 3, "escalat*": 2, "outcome": 2, "still waiting": 2.5,
        "resolv*": 3, "unresolved": 3, "fixed": 3, "fix": 2.5, "fixing": 2.5, "sorted": 2.5,
        "solved": 3, "first time": 3, "one visit": 3, "one call": 3, "one go": 3,
        "call back": 2.5, "ring again": 2.5, "call again": 2.5, "come back": 2.5,
        "came back": 2.5, "third time": 3, "same fault": 3, "same problem": 3, "still no": 1.5,
        "still not": 1.5, "still": 1, "refund*": 2, "there and then": 2.5, "passed between": 3,
        "no answer": 1, "no record": 2, "follow-up": 2.5, "follow up": 2.5, "repair*": 2.5,
        "dealt with": 2.5, "fitted": 2, "ticket": 2.5, "fault": 2.5, "problem": 1.5, "issue": 2,
        "what i came for": 3, "came for": 2, "sent back": 1.5, "on the spot": 2,
    },
}

#: Common topics that are no driver of the instrument: a comment about them is "other".
OTHER_PHRASES: dict[str, float] = {
    "survey": 2.5, "car park": 3, "parking": 3, "canteen": 3, "toilets": 3, "uniform*": 3,
    "heating": 3, "staff room": 3, "price*": 2.5, "website": 3, "online": 2, "store layout": 3,
    "range of": 2.5, "product broke": 3, "music": 3, "opening hours": 3, "value for money": 3,
    "thanks for asking": 3, "our opinion": 2, "retir*": 3, "contract": 2.5, "transferred": 2.5,
    "company to work for": 3, "shop here again": 3, "first time visiting": 3, "stock more": 3,
    "dirty": 2, "clean shop": 3, "bins": 3, "kettle": 3, "bought": 2,
}
# fmt: on
