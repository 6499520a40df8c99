"""The word signals of frustration: what a frustrated customer says, grouped by kind (core.frustration scores them).

Each kind is a pattern over the normalised text (lower case, no punctuation, markup or apostrophes:
"I'm" reads "im"); a few read the raw text (emoji, masked swearing). Written as kinds of saying, not
as examples: a list grows by kind ("naming the feeling", "threatening to leave"), and each kind has a
calm counterpart it must not catch (someone else's anger, a calm cancellation, an error text quoted).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from handoff_slack.core.word_search import WordPattern

_N = r"(?:\w+ )"  # any one word, for "(?:\w+ ){0,2}" gaps
_BAD = r"(?:terrible|awful|horrible|horrendous|atrocious|abysmal|dreadful|shocking|lousy|poor|bad|crappy)"


def _words(*alternatives: str) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(alternatives) + r")\b")


# Naming one's own feeling. Someone else's anger ("our CEO is livid", "angry customers") and a
# denial ("I'm not angry, just confused") don't count: see `names_own_feeling`.
_FEELINGS = _words(
    r"angry|annoyed|annoying|furious|mad at|pissed|upset|irritated|irritating|livid|fuming|outraged|disgusted",
    r"exasperated|frustrat\w*|disappointed|disappointing|fed up|sick of|sick and tired|tired of|had enough",
    r"enough is enough|(?:losing|lose|lost|running out of|out of) (?:my |our |all )?patience|wits end",
    r"(?:driving|drives|drove) (?:me|us) (?:nuts|crazy|mad|insane|up the wall|bananas)|on my nerves",
    r"not (?:happy|pleased|impressed|amused|satisfied|ok with|okay with)|unhappy",
    r"i hate(?! to)|we hate(?! to)|hate this",
    r"irate|seething|beyond frustrated|(?:so )?over (?:it|this)|end of my (?:rope|tether)|pulling my hair out",
    r"losing my mind|going (?:crazy|insane|mad)|makes me (?:so )?(?:angry|mad|furious)|sick to death|let down",
    r"feel (?:ignored|cheated|betrayed|insulted|fobbed off|misled|lied to|like (?:im|i am) (?:being )?ignored)",
)
_LET_GO = re.compile(r" (?:\w+ )?but (?:fine|ok|okay|understandable|no worries|no problem|thats fine)\b")
_DENIED = re.compile(r"\b(?:not|never|isnt|arent|wasnt|no)\s+(?:\w+ )?$")
_SOMEONE_ELSE = re.compile(
    r"\b(?:customers?|clients?|users?|boss|ceo|cto|cfo|manager|director|team|colleagues?|he|she|hes|shes|they|"
    r"theyre|her|his|their|wife|husband|mom|mum|dad|people|everyone|partner|owner|buyer)\b"
)


_FEELINGS_AT_WORDS = WordPattern(_FEELINGS)  # the same matches, searched where they can begin


def names_own_feeling(normalised: str) -> bool:
    for found in _FEELINGS_AT_WORDS.finditer(normalised):
        before = normalised[: found.start()].split()[-4:]
        after = normalised[found.end() :].split()[:1]
        if found[0].startswith("not ") or found[0] == "unhappy":
            if not _SOMEONE_ELSE.search(" ".join(before)):
                return True
            continue
        if _DENIED.search(" ".join(before) + " "):
            continue
        if _SOMEONE_ELSE.search(" ".join(before + after)):
            continue
        if _LET_GO.match(normalised, found.end()):  # "that's annoying but fine, we'll wait"
            continue
        return True
    return False


@dataclass(frozen=True)
class WordSignal:
    name: str
    weight: float
    pattern: re.Pattern[str]
    raw: bool = False  # read the raw text (lower-cased), not the normalised words


STRONG = 0.5  # enough alone at the default threshold
WEAK = 0.3  # needs a second signal

WORD_SIGNALS: tuple[WordSignal, ...] = (
    # Judging the service, the company or the people ("useless", "you people", "a joke").
    WordSignal(
        "judges_service",
        STRONG,
        _words(
            r"ridiculous|unacceptable|useless|pathetic|hopeless|incompetent|incompetence|nonsense|rubbish",
            r"garbage|outrageous|absurd|unbelievable|disgrace\w*|shameful|shame on|is shame|scam|rip ?off",
            r"amateurs?|clowns?|a joke|what a \w*\s?joke|(?:this|that|it) is \w*\s?joke|joke right",
            r"waste of (?:my |our )?time|(?:thanks|thank you|cheers) for nothing",
            r"the worst (?:service|support|experience|company|customer)",
            r"worst \w+ (?:ever|ive ever|i have ever)",
            r"you people|how you treat|treated like this|treat(?:ing)? (?:us|me|customers) like",
            r"talking to a wall|brick wall|(?:going|go|goes|run|running) (?:round |around )?in circles",
            r"not helping|no help at all|not helpful|unhelpful|copy ?paste|canned (?:answer|response)s?",
            r"not a (?:script|bot|robot|machine)|stupid bot|dumb bot|useless bot|(?:is|so) very bad|terrible service",
            r"awful service|horrible service|terrible support|awful support|horrible support",
            r"doesnt (?:even )?work at all",
            rf"{_BAD} (?:customer )?(?:service|support|experience|communication|company|help)(?! for)",
            r"laughable|embarrassing|clueless|farce|shambles|what a (?:mess|circus|disaster|nightmare)",
            r"no idea what (?:you|they|your \w+) (?:are|re|is) doing|(?:you|they) (?:clearly )?(?:dont|do not) care",
            r"couldnt care less|(?:zero|no) (?:help|support|communication) (?:at all|whatsoever)|runaround|run around",
            r"ripped off|robbed|cheated|lied to|liars?|lying to|false promises|broken promises",
            r"how hard (?:can it be|is it)|why is (?:this|it|everything) so (?:hard|difficult|complicated)",
            r"is it too much to ask|give me a break|are you for real|beyond belief|inacceptable|in ?admissible",
            r"pointless|waste of money|appalling|disgraceful|(?:im|i am|we are|were) (?:so )?done with (?:this|you)",
            r"(?:not|never|isnt|is not) (?:acceptable|good enough)",
            r"who thought (?:that|this|it) was (?:ok|okay|fine|a good idea)|how is it possible that",
            r"what (?:exactly )?(?:am i|are we|do i|do we|does \w+(?: \w+){0,3}) pay(?:ing)? for",
            r"is this how (?:you|your|we|i|customers)|regret (?:recommending|choosing|signing|buying|ever)"
            r"|embarrassed (?:i|we) (?:ever )?(?:recommended|chose|picked|signed)",
        ),
    ),
    # Not being heard: having to repeat oneself, being asked again for what was given.
    WordSignal(
        "not_heard",
        STRONG,
        _words(
            r"(?:i|ive|i have|weve|we have|we) (?:now |already |just )?(?:told|said|explained|written|wrote|sent|given"
            r"|gave|asked|mentioned|provided|typed|called|emailed|described|repeated|contacted)(?: \w+){0,6} "
            r"(?:twice|\d+ times|(?:two|three|four|five|six|several|many|multiple|so many|a dozen) times)",
            r"already (?:told|said|explained|sent|gave|given|tried|did|done|answered|provided|wrote|written|mentioned)",
            r"how many (?:more )?times|for the (?:second|third|fourth|fifth|sixth|nth|\d+(?:st|nd|rd|th)) time",
            r"(?:second|third|fourth|fifth|\d+(?:nd|rd|th)) time (?:i|im|we|that i|now i)",
            r"as i (?:said|wrote|mentioned|explained|told you|already)|my previous (?:\w+ )?(?:messages?|e?mails?)",
            r"read what i (?:wrote|said|sent)|what part of|are you (?:even )?(?:listening|reading)",
            r"i gave it to you|i told you|(?:keeps?|keep on) (?:asking|sending|telling|showing|giving) (?:me|us)\b",
            r"repeat(?:ing)? myself|(?:e?mails?|messages|calls|tickets),? (?:zero|no) (?:answers?|reply)",
            r"(?:doesnt|does not|didnt|did not|dont) (?:even )?answer (?:it|my|the)|not what i (?:asked|said|wrote)",
            r"i (?:keep|kept) (?:telling|saying|asking|explaining|repeating|sending)|like i (?:said|told you)",
            r"(?:you|bot|it) (?:didnt|did not|dont|do not|never|cant|cannot) (?:even )?(?:read|listen|understand)",
            r"did (?:you|anyone) (?:even )?read|(?:you|youre|you are|nobody is) not (?:listening|reading)",
            r"(?:the )?(?:same|identical) (?:answer|reply|response|link|article|message|instructions) (?:again|every)",
            r"as (?:stated|mentioned|explained|said|written) (?:before|earlier|above|previously)",
            r"(?:third|fourth|fifth|sixth|\d+(?:rd|th)) (?:e?mail|message|ticket|request|call|attempt)",
        ),
    ),
    # Nobody answers: waiting on a reply that doesn't come.
    WordSignal(
        "nobody_answers",
        STRONG,
        _words(
            rf"(?:nobody|no one|noone|no body|none of you) {_N}{{0,3}}(?:answer\w*|help\w*|respond\w*|repl\w*|read\w*"
            r"|listen\w*|cares?|call\w*|told|look\w*|gets? back|got back|came|there|fix\w*|bother\w*)",
            r"(?:is|are) (?:any|some)(?:one|body) (?:\w+ )?(?:there|here|reading|listening|home|alive|awake|answering)",
            r"(?:does|do|did) (?:any|some)(?:one|body) (?:over there |there |here )?(?:even )?(?:read|look|care|check)",
            r"ignor(?:e|es|ed|ing) (?:me|us|(?:my|our) (?:messages|emails|tickets|calls|requests|questions))"
            r"|thanks for ignoring|(?:zero|no) (?:answer|reply"
            r"|response) (?:yet|at all|since)|whats the point|never (?:answer|reply|respond|call)\w*",
            r"(?:heard|hear) nothing|radio silence|crickets|ghosted",
            r"(?:no|zero|not a single|not one) (?:answer|reply|response|update|word|callback|call back)"
            r" (?:from|in|for)",
            r"where is everyone|is this thing on|(?:anyone|anybody) (?:alive|awake)|(?:left|leave) (?:me )?on read",
        ),
    ),
    # Giving up on the bot or the product, threatening to leave, go public or go legal.
    WordSignal(
        "giving_up",
        STRONG,
        _words(
            r"i give up|giving up|(?:figure|sort|work) (?:it|this) out (?:by )?myself|do it myself like",
            rf"(?:going|go|take this|post\w*|write|complain\w*) {_N}{{0,3}}(?:to |on )?(?:twitter|linkedin|reddit"
            r"|trustpilot|social media|the press|facebook)",
            r"(?:call|contact|get|involv\w*|speak\w* to|talk\w* to|hear\w* from|forward\w* (?:this|it) to) (?:my|our|a)"
            r" (?:lawyer|attorney"
            r"|solicitor)s?|(?:my|our) (?:lawyers?|attorneys?|solicitors?) (?:will|would|are going|is going)"
            r"|legal action|sue you|small claims|consumer protection|ombudsman",
            r"(?:switch\w*|mov\w*|go\w*|leav\w*) (?:to )?(?:a |your )?competitors?",
            r"(?:pull\w*|tak\w*) (?:everything|all of it|our business|my business|our money|my money)"
            r" (?:out|away|else)",
            r"(?:today|now|by \w+) or (?:else|ill|im|i will|we will|well|youll|you will|we are|were)",
            r"last time (?:im|i am|i will|ill) (?:asking|ask|writing|write|contacting)|never (?:again|recommend)",
            r"(?:cancel\w*|close) (?:\w+ ){0,3}(?:if|unless|or else)|want my money back",
            r"(?:take|taking) (?:my|our) (?:business|money) elsewhere|go(?:ing)? elsewhere|(?:1|one) star",
            r"find (?:another|a different|a new|a better) (?:provider|company|service|tool|vendor|supplier)",
            r"(?:last|final) (?:straw|warning)|done with (?:you|this company|your)|i quit|(?:bad|negative) review",
            r"(?:never|wont|will not) (?:use|buy|order|recommend|shop|deal)\w* (?:\w+ ){0,2}(?:again|you|your|from)",
        ),
    ),
    WordSignal("nobody_answers", WEAK, _words(r"still waiting|(?:havent|have not|never) heard (?:back|anything)")),
    WordSignal("giving_up", WEAK, _words(r"nevermind|never mind|nvm|forget it|whatever")),
    # Demanding a competent person, a manager, someone who "actually" works here.
    WordSignal(
        "wants_manager",
        STRONG,
        _words(
            r"(?:speak|talk|speaking|talking|connect me|put me through|transfer me|escalate \w+)(?: \w+){0,2}"
            r" (?:to|with) (?:a |your |the |an |someone |somebody )?(?:manager|supervisor|boss|superior|responsible"
            r"|someone in charge|person in charge|someone senior|somebody senior)"
            r"(?! account| role| access| permission| seat| view)",
            r"(?:i|we) (?:want|need|demand) (?:\w+ ){0,2}(?:manager|supervisor|responsible)"
            r"(?! account| role| access| permission| seat| view)",
            r"(?:some|any)(?:one|body) (?:who|that) (?:actually|really|knows|understands|has a clue|can actually)"
            r"|(?:some|any)(?:one|body) competent|competent (?:person|human|agent|someone)"
            r"|(?:someone|somebody|a human|a person) (?:\w+ )?in here|actual (?:human|person)|real human",
            r"someone (?:higher up|senior|in charge|with authority)",
            r"(?:your|a|the) (?:manager|supervisor) (?:now|please)",
            r"(?:competent|qualified|knowledgeable|real) (?:person|agent|human|someone|people)",
            r"(?:human|person|agent) (?:now|immediately|right now|asap)",
        ),
    ),
    # Sarcasm about the service: mock praise ("great, another bot"), "lol ok", "surely it will work".
    WordSignal(
        "sarcasm",
        STRONG,
        _words(
            r"(?:great|amazing|wonderful|fantastic|brilliant|perfect|lovely|awesome|nice|wow|oh joy)(?: truly| really"
            r"| just)? (?:yet )?another",
            r"lol ok|ok lol|yeah right|yeah sure|sure(?:ly)? (?:it|that|this) will (?:work|help)|like always|as always",
            r"as usual|what a surprise|who would have (?:guessed|thought)|mmm yes|oh great|thanks a lot guys",
            r"oh (?:wonderful|perfect|joy|fantastic|brilliant|good|lovely)|just (?:great|perfect|wonderful|brilliant)",
            r"(?:colou?r me|big) surprised?|who knew|shocker|yeah (?:right|sure)|sure thing buddy",
            r"thanks for (?:nothing|wasting|the (?:non|no) help)|(?:love|loving) how|so much for",
        ),
    ),
    WordSignal("sarcasm", STRONG, re.compile(r":(?:face_with_rolling_eyes|roll_eyes|unamused):"), raw=True),
    WordSignal("sarcasm", STRONG, re.compile("[\U0001f644\U0001f612]"), raw=True),  # 🙄 😒
    # Anger shown, not said: emoji, emoji codes.
    WordSignal("angry_emoji", STRONG, re.compile("[\U0001f621\U0001f620\U0001f92c\U0001f624\U0001f4a2]"), raw=True),
    WordSignal(
        "impatience",
        WEAK,
        re.compile("[\U0001f926\U0001f629\U0001f62b]|:(?:weary|tired_face|face_palm|facepalm):"),
        raw=True,
    ),
    WordSignal(
        "angry_emoji",
        STRONG,
        re.compile(r":(?:rage|angry|triumph|face_with_symbols_on_mouth|pouting_face|cursing_face):"),
        raw=True,
    ),
    # Swearing at things (relieved swearing, "holy shit it works now", is read as positive: core.frustration).
    WordSignal(
        "swearing",
        STRONG,
        _words(r"wtf|wth|ffs|omfg|fuck\w*|f+ing|bullshit|bs|crap\w*|shit\w*|screw (?:this|you)|bloody hell"),
    ),
    WordSignal(
        "swearing", STRONG, re.compile(r"\b(?:f[*#@$%]{2,}\w*|sh[*#@$%!]t\w*|b[*#]{3,}\w*)"), raw=True
    ),  # f***, sh*t, b****
    WordSignal("swearing", WEAK, _words(r"damn\w*|hell|goddamn|sucks?|pissed")),
    # Impatience: interjections and demands on the bot ("are you serious", "stop sending me …").
    WordSignal(
        "impatience",
        STRONG,
        _words(
            r"are you (?:serious|kidding|joking)|you(?:re| are| must be) (?:kidding|joking)|kidding me",
            r"(?:dont|do not) have time for this|no time for this",
            r"(?:stop|quit) (?:sending|replying|asking|giving|telling|with)",
            r"(?:dont|do not) (?:send|give|tell|show) me (?:another|the same|that|more)",
            r"^(?:just |please )?(?:fix|sort) (?:it|this)(?: already| now| asap| today)?$|this is the last time",
            r"hurry up|how (?:much )?longer|waiting forever",
            r"how long (?:do i have|must i|will i have|am i supposed) to wait",
            r"you have got to be kidding|youve got to be kidding|fml|jfc|facepalm|face_palm|i swear (?:to god )?if",
            r"(?:i|we) (?:want|need|expect|demand) (?:an? )?(?:answer|response|reply|refund|fix|solution)"
            r" (?:today|now|immediately|asap|right now)",
        ),
    ),
    WordSignal(
        "impatience",
        WEAK,
        _words(r"u+g+h+|a+r+g+h+|p+f+f+t*|smh|omg|jeez|geez|sigh|seriously|come on|cmon|hello+ anyone"),
    ),
    # The problem persisting: mounting frustration, but also calm troubleshooting talk.
    WordSignal(
        "persisting",
        WEAK,
        _words(
            r"still (?:not|nothing|broken|wrong|fail\w*|doesnt|isnt|cant|wont|no)",
            r"not again|again and again|over and over|every single",
        ),
    ),
)

# It works now: shouting, "!!!" and swearing in these are joy ("IT WORKED!!!", "fuck yes, first try").
WORKS_NOW = _words(
    r"works now|working now|it works|finally work(?:s|ed)|(?:it|that|this) worked(?: now| again)?$|fixed it|all good",
    r"found it|solved",
    r"(?:fine|green|good|ok|okay|verifying|updated|sorted) now|ignore my (?:last|previous|earlier)|sorry for the noise",
    r"my bad|false alarm|first try|(?:you|youre a|ur a) (?:legend|star|lifesaver|hero)|you rock|lifesaver|all sorted",
)
# Gratitude and relief: swearing and mock praise in these are relief, not anger.
RELIEF = _words(r"thanks?|thank you|thx", WORKS_NOW.pattern.removeprefix(r"\b(?:").removesuffix(r")\b"))
