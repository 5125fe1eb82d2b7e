"""Split raw English text into tokens and words the way UD English EWT does.

    tokenize("I can't believe it's not butter!")
    -> I | can't (words: ca, n't) | believe | it's (words: it, 's) | not | butter | !

A token is the text as written; a word is what the tagger tags ("can't" is "ca" + "n't").
The rules are regular expressions read off the training split; the last takes any one
character, so none can lose or invent one.
"""
import itertools
import re
import unicodedata
from dataclasses import dataclass


@dataclass
class Token:
    """One token: its text as written, its words, whether a space follows, where it starts."""
    text: str
    words: list
    space_after: bool = True
    start: int = 0


# Short words that end in a period and keep it (the treebank writes "Mr." as one token).
ABBREVIATIONS = ("mr mrs ms dr st mt ft jr sr vs etc inc co corp ltd gen gov lt col capt sgt rev "
                 "prof sen rep no jan feb mar apr jun jul aug sep sept oct nov dec mon tue tues "
                 "wed thu thur thurs fri sat sun dept est approx misc fig ca cf al ave blvd univ "
                 "ext sts drs ps pvt ect").split()
# Prefixes that the treebank keeps joined to the rest of the word ("e-mail", "non-profit");
# other hyphenated words are split into word, hyphen, word ("long - term").
HYPHEN_PREFIXES = ("e non mid pre anti re post co over pro multi ex sub semi cross neo inter intra"
                   " un bi counter mis vice").split()

# The token rules, tried in this order at each position of a whitespace-separated chunk.
# A rule that can run far ahead and then fail would scan to the end of a long chunk from every
# position, and the time would grow with the square of its length. So every repetition that
# can fail after it ends ({1,64}, {2,8}, {0,8}) is bounded. Where an unbounded one (+, *) scans
# a run and then fails, a later rule takes that whole run as one token, so no run is scanned
# twice. test_tokenizer.py times adversarial inputs at two lengths to check that this holds.
TOKEN = re.compile(r"""
    (?:https?://|ftp://|www\.)[^\s<>"]*[^\s<>".,;:!?)\]'>]  # URL, without trailing punctuation
  | [\w.+-]{1,64}@\w[\w-]*(?:\.[\w-]+)*  # e-mail address (also name...@host.com)
  | (?<![\w:])[:;=][-'^o]?[)(\]\[DPpOo3/\\|*$@](?![\w)(])  # emoticon such as :) ;-) :D
  | \^_*\^ | <3  # emoticons ^_^ and <3
  | (?:\d{3}-)?\d{1,3}-\d{4}(?!\d)  # phone number 713-853-3989, 345-9945, 3-5213
  | \+\d+  # country code +44
  | \d+(?:[.,:/]\d+)+(?:st|nd|rd|th|s)?  # number 3.5, 1,000, 10:30, 08/16/2000
  | \d+(?:st|nd|rd|th|s|am|pm|AM|PM)?(?![\w'])  # number, ordinal 20th, decade 1990s
  | (?:[A-Za-z]\.){2,8}(?![A-Za-z])  # abbreviation with dots: U.S., p.m., e.g.
  | (?i:(?:""" + "|".join(ABBREVIATIONS) + r"""))\.(?!\w)  # abbreviation: Mr., Dr., etc., Sept.
  | [A-Z]\.(?=$|[^.\w])  # initial: George W. Bush
  | \.?\w+(?:\.\w+){0,8}\.(?i:com|org|net|edu|gov|uk|de|ca  # file or domain
                           |doc|docx|xls|xlsx|pdf|txt|htm|html|jpg|gif|zip)(?!\w)
  | [a-z]+(?:\.[a-z]+){1,8}(?![\w.])  # dotted name: alt.animals.cat
  | (?i:w/o|b/c|w/|l/c)(?!\w)  # shorthand with a slash: w/, b/c
  | [#@][A-Za-z_]\w*  # hashtag or user name
  | (?i:""" + "|".join(HYPHEN_PREFIXES) + r""")-\w+  # word with a kept prefix: e-mail, non-profit
  | \w+(?:&\w+)+(?:['’]s)?  # A&E, AT&T, PG&E's
  | [A-Za-z]+s['’](?![\w'’])  # plural possessive: parents'
  | \w+(?:['’`]\w+)*  # word, with any contraction or possessive
  | ['‘’`]{2}  # doubled quote '' or ``
  | \.*[!?][!?.]* | \.{2,}  # runs of . ! ? such as ... !! ?! ..?
  | -{2,} | \*+ | ([^\w\s])\1+  # other runs: -- *** << ==
  | .  # anything else: one character
""", re.VERBOSE | re.DOTALL)

# How one token becomes several words, as in the treebank. Each rule: a pattern for the whole
# token (case-insensitive) whose groups are the words.
WORD_SPLIT_RULES = [
    r"(.+?)(n['’`]t)",  # don't -> do n't, can't -> ca n't, won't -> wo n't
    r"(?!\d+['’`]s$)(.+?)(['’`](?:s|m|d|re|ve|ll))",  # it's, I'm, you'll, Bush's (not 70's)
    r"(.+s)(['’])",                                  # plural possessive: parents' -> parents '
    r"(du)(n)(no)",                                  # dunno -> du n no
    r"(can)(not)",                                   # cannot -> can not
    r"(gon|wan)(na)",                                # gonna -> gon na, wanna -> wan na
    r"(got|out)(ta)",                                # gotta -> got ta, outta -> out ta
    r"(do|does|did|is|was|were|are|has|have|had|could|would|should|ai|ca|wo)(nt)",  # dont -> do nt
    r"(i)(m|ve)",                                    # im -> i m, ive -> i ve
    r"(you|they)(re)",                               # youre -> you re (not "were": a word)
]
# All the rules in one pattern, tried once per token; the groups of the rule that matched
# are the words (the other rules' groups are None).
WORD_SPLITS = re.compile("|".join(f"(?:{rule})" for rule in WORD_SPLIT_RULES), re.IGNORECASE)


def split_words(token_text):
    """The words of one token: ["ca", "n't"] for "can't", [token_text] for most tokens."""
    match = WORD_SPLITS.fullmatch(token_text)
    if match is None:
        return [token_text]
    return [word for word in match.groups() if word is not None]


ZERO_WIDTH_JOINER = "\u200d"


def character_starts(chunk):
    """Where each character of `chunk` starts, as a reader sees characters: a combining mark, a
    variation selector, a skin tone, a zero-width join, a flag's second letter extend the last."""
    starts, regional_indicators = [], 0
    for i, char in enumerate(chunk):
        code = ord(char)
        regional_indicators = regional_indicators + 1 if 0x1F1E6 <= code <= 0x1F1FF else 0
        extends = (unicodedata.category(char) in ("Mn", "Mc", "Me") or char == ZERO_WIDTH_JOINER
                   or i > 0 and chunk[i - 1] == ZERO_WIDTH_JOINER
                   or regional_indicators % 2 == 0 < regional_indicators
                   or 0xFE00 <= code <= 0xFE0F or 0x1F3FB <= code <= 0x1F3FF
                   or 0xE0020 <= code <= 0xE007F)
        if i == 0 or not extends:
            starts.append(i)
    return starts


def tokenize(text, max_tokens=None):
    """Split one sentence's raw text into Tokens; their texts joined give `text` less its spaces.
    With max_tokens, it stops once it has more: a caller that refuses such a line waits no more."""
    tokens = []
    for match in re.finditer(r"\S+", text):
        if max_tokens is not None and len(tokens) > max_tokens:
            break
        chunk, offset = match.group(), match.start()
        if chunk.isalnum():  # most chunks are plain words: no rule splits those into tokens
            tokens.append(Token(chunk, split_words(chunk), start=offset))
            continue
        # The rules run on each character's first code point, so that none is cut in two.
        starts = character_starts(chunk)
        bases = chunk if len(starts) == len(chunk) else "".join(chunk[i] for i in starts)
        starts.append(len(chunk))
        position = 0
        while position < len(bases) and (max_tokens is None or len(tokens) <= max_tokens):
            end = position + len(TOKEN.match(bases, position).group())
            piece, piece_start = chunk[starts[position]:starts[end]], offset + starts[position]
            position = end
            tokens.append(Token(piece, split_words(piece), space_after=position == len(bases),
                                start=piece_start))
    return tokens


def split_on_whitespace(text, max_tokens=None):
    """Tokens for text whose words are already separated by spaces: one word per token (at most
    max_tokens + 1 of them)."""
    matches = itertools.islice(re.finditer(r"\S+", text), None if max_tokens is None
                               else max_tokens + 1)
    return [Token(match.group(), [match.group()], start=match.start()) for match in matches]
