"""The HTTP API of a tagger: requests in, tagged sentences out (JSON or CoNLL-U), on FastAPI."""
import asyncio
import io
import json
from pathlib import Path

from tagger.batcher import ModelStopped
from tagger.conllu import conllu_sentence
from tagger.errors import InputError
from tagger.lines import LineReader
from tagger.tagging import MAX_SENTENCE_WORDS, tagged_line, text_lines, tokenized_lines, words_of
from tagger.tokenizer import Token

PAGE = Path(__file__).with_name("page.html")


def utf8(value, what):
    """`value` in UTF-8, or a ValueError for a lone surrogate (JSON allows "\\ud800")."""
    try:
        return value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(f"{what} holds a lone surrogate, which is no character") from None


def request_lines(text, sentences):
    """(text, offset, tokens) of each sentence of a request: its text's non-empty lines, or its
    word lists, one token a word; a ValueError or an InputError if it is bad."""
    if (text is None) == (sentences is None):
        raise ValueError('give "text" or "sentences", one of them')
    if text is not None:
        reader = LineReader('"text"', io.BytesIO(utf8(text, '"text"')))  # as tagger.tag reads
        lines = [line for line in tokenized_lines(text_lines(reader, []), reader.name) if line[2]]
        if not lines:
            raise ValueError('"text" holds no word')
        return lines
    if not sentences:
        raise ValueError('"sentences" holds no sentence')
    for i, words in enumerate(sentences):
        if not 1 <= len(words) <= MAX_SENTENCE_WORDS:
            raise ValueError(f"sentence {i}: {len(words):,} words; 1 to {MAX_SENTENCE_WORDS:,} "
                             "are allowed")
        for word in words:
            utf8(word, f"sentence {i}")
        if any(not word or any(char.isspace() for char in word) for word in words):
            raise ValueError(f"sentence {i}: a word is empty or holds whitespace")
    return [(" ".join(words), None, [Token(word, [word]) for word in words])
            for words in sentences]


def as_json(line, offset, tokens, tagged):
    """One tagged sentence as JSON: tokens, their places, words, tags and probabilities."""
    columns = [(name, f"{name}_p", tags, p) for name, (tags, p) in tagged.items()]
    i, answer = 0, []
    for token in tokens:
        entry = {"text": token.text}
        if offset is not None:
            entry["start"] = offset + token.start
            entry["end"] = entry["start"] + len(token.text)
        entry["words"] = []
        for word in token.words:
            tagged_word = {"form": word}
            for name, p_name, tags, p in columns:
                tagged_word[name], tagged_word[p_name] = tags[i], p[i]
            entry["words"].append(tagged_word)
            i += 1
        answer.append(entry)
    return {"text": line, "tokens": answer}


class BodyLimit:
    """ASGI middleware: a POST body over `limit` bytes (413) or of no stated length (411) is
    refused before it is read."""

    def __init__(self, app, limit):
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["method"] == "POST":
            length = dict(scope["headers"]).get(b"content-length")
            if length is None:
                return await refuse(send, 411, "a request body needs a Content-Length")
            if int(length) > self.limit:  # uvicorn refuses a length that is not a number
                return await refuse(send, 413, f"the body is over {self.limit:,} bytes, this "
                                               "server's --max-request-bytes")
        await self.app(scope, receive, send)


async def refuse(send, status, detail):
    body = json.dumps({"detail": detail}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"connection", b"close"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def make_app(batcher, health, max_request_bytes):
    """The FastAPI application: POST /tag, GET /health, GET /."""
    from typing import Literal

    import orjson
    from fastapi import FastAPI, HTTPException
    from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
    from pydantic import BaseModel, ConfigDict, Field
    from starlette.exceptions import HTTPException as AnyHTTPException  # FastAPI's own raise it

    class TagRequest(BaseModel):
        model_config = ConfigDict(extra="forbid")
        text: str | None = Field(None, description="raw text, one sentence a line; tokenized as "
                                                   "UD English EWT is")
        sentences: list[list[str]] | None = Field(None, description="sentences already split "
                                                                   "into words, never split again")
        format: Literal["json", "conllu"] = Field("json", description="conllu: what "
                                                  "python -m tagger.tag --conllu writes")

    class Word(BaseModel):
        form: str
        upos: str
        upos_p: float = Field(description="the UPOS tag's probability")
        xpos: str | None = Field(None, description="for a model trained with --xpos")
        xpos_p: float | None = None

    class TaggedToken(BaseModel):
        text: str
        start: int | None = Field(None, description="its first character in the request's text")
        end: int | None = Field(None, description="one past its last character")
        words: list[Word]

    class Sentence(BaseModel):
        text: str
        tokens: list[TaggedToken]

    class Tagged(BaseModel):
        sentences: list[Sentence]

    app = FastAPI(title="LSTM tagger", version="1", description=__doc__.split("\n\n")[-1])
    app.add_middleware(BodyLimit, limit=max_request_bytes)

    @app.exception_handler(AnyHTTPException)
    async def said_in_full(request, error):
        """FastAPI's answer, but a body that is not UTF-8 is named as such."""
        detail, cause = error.detail, error.__cause__
        if isinstance(cause, UnicodeDecodeError):
            detail = (f"the body is not valid UTF-8 (byte 0x{cause.object[cause.start]:02x} at "
                      f"{cause.start})")
        return JSONResponse({"detail": detail}, error.status_code, headers=error.headers)

    @app.post("/tag", response_model=None,
              responses={200: {"model": Tagged, "description": "the tags (or CoNLL-U)"}})
    async def tag(request: TagRequest):
        """Tag raw text or word lists: tags and probabilities as JSON, or CoNLL-U."""
        try:
            lines = request_lines(request.text, request.sentences)
        except (ValueError, InputError) as error:
            raise HTTPException(422, str(error)) from None
        try:
            tagged = await asyncio.wrap_future(batcher.submit([words_of(tokens)
                                                               for _, _, tokens in lines]))
        except ModelStopped as error:
            raise HTTPException(503, str(error)) from None
        if request.format == "conllu":
            tags = [{name: tags for name, (tags, _) in sentence.items()} for sentence in tagged]
            if request.text is not None:  # as tagger.tag writes it, byte for byte
                text = "".join(tagged_line(*line, sentence_tags, conllu=True)
                               for line, sentence_tags in zip(lines, tags))
            else:
                text = "".join(conllu_sentence(line, tokens, sentence_tags)
                               for (line, _, tokens), sentence_tags in zip(lines, tags))
            return PlainTextResponse(text)
        # orjson: a large answer's JSON in a tenth of the time the json module takes (measured)
        return Response(orjson.dumps({"sentences": [as_json(*line, sentence)
                                                    for line, sentence in zip(lines, tagged)]}),
                        media_type="application/json")

    @app.get("/health")
    def health_check():
        """The model's tag sets and settings; 503 once the model's process has stopped."""
        if not batcher.process.is_alive():
            return JSONResponse({**health, "status": "the model's process stopped"}, 503)
        return health

    @app.get("/", response_class=HTMLResponse)
    def page():
        """A page to tag text in a browser (/?text=... opens it tagged)."""
        return PAGE.read_text(encoding="utf-8")

    return app
