"""The web chat UI: a Gradio 6 page over an :class:`~emilie_agent.service.EditingService`.

``build_app(service)`` returns the ``gr.Blocks``; :func:`launch` serves it (127.0.0.1 unless told otherwise).
Every action goes through the service (open, message, plan, preview_mask, undo, redo, go_to, turns, describe,
export, import_); the page only shows what comes back (:mod:`.conversation`, :mod:`.files`).

**Sessions and tabs.** Each tab has its own session. Its id is put in the page's address (``?session=ID``)
as soon as a picture is opened, so a reload of that tab finds the session again, while another tab (no id in
its address) starts its own. ``gr.BrowserState`` would not do: it lives in ``localStorage``, which every tab
of the site shares, so two tabs would end up on one session.
"""
from __future__ import annotations

import functools
import inspect
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # before gradio is imported: no calls home

import gradio as gr

from ..agent.agent import choose_granularity
from ..agent.commands import parse_command
from ..agent.reports import where
from ..errors import EmilieError, InvalidRequestError
from ..service.store import check_id
from ..toyworld import demo_scene
from .conversation import (
    opened_messages,
    plan_preview_messages,
    reply_messages,
    restored_messages,
    say,
    show,
    turn_caption,
)
from .files import PageFiles
from .limits import Limits, check_upload

if TYPE_CHECKING:  # pragma: no cover
    from ..service.service import EditingService

TITLE = "Emilie: talk to a picture"
EXAMPLE_REQUEST = "make it winter, then paint the door blue"
# The example scene's size: the toy models work at 64 px whatever the size; the real ones at up to 512.
EXAMPLE_SIZE = {"toy": (256, 192), "tiny": (128, 96)}
REAL_EXAMPLE_SIZE = (512, 384)

SET_SESSION_IN_URL = """
(sid) => {
  const url = new URL(window.location.href);
  if (sid) { url.searchParams.set("session", sid); } else { url.searchParams.delete("session"); }
  window.history.replaceState(null, "", url.toString());
}
"""

CSS = """
#history textarea, #history pre { font-family: ui-monospace, monospace; }
#session-id input, #session-id textarea { font-family: ui-monospace, monospace; font-size: 0.8em; }
"""


def _shown_errors(fn: Callable) -> Callable:
    """A handler whose EmilieErrors appear in the page as an error message (one line), not as a crash."""
    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        def gen(*args, **kwargs):
            try:
                yield from fn(*args, **kwargs)
            except EmilieError as err:
                raise gr.Error(str(err)) from None

        return gen

    @functools.wraps(fn)
    def call(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except EmilieError as err:
            raise gr.Error(str(err)) from None

    return call


class Page:
    """The page's handlers over one service; each returns the outputs every action refreshes (see :meth:`view`)."""

    def __init__(self, service: "EditingService", files: PageFiles, limits: Limits, example_size: tuple[int, int]):
        self.service = service
        self.files = files
        self.limits = limits
        self.example_size = example_size

    # ------------------------------------------------------------------ the refreshed outputs
    def view(self, sid: str, chat: list) -> tuple:
        """(session id, chat, current picture, turns strip, history tree, turn choices, picture download,
        session download) for session ``sid`` ("" before a picture is opened)."""
        if not sid:
            nothing = gr.DownloadButton(value=None, interactive=False)
            return ("", chat, None, [], "", gr.Dropdown(choices=[], value=None), nothing, nothing)
        path = self.service.turns(sid)
        current = path[-1]
        strip = [(self.files.turn(sid, turn), turn_caption(turn)) for turn in path]
        choices = []
        for row in self.service.history(sid):
            label = f"#{row['id']} {row['instruction'] or 'the original picture'}"
            choices.append((label + (" (current)" if row["current"] else ""), row["id"]))
        picture_file = self.files.download_picture(sid, current)
        session_file = self.files.download_session(sid, self.service.export(sid))
        return (
            sid,
            chat,
            self.files.turn(sid, current),
            strip,
            self.service.describe(sid),
            gr.Dropdown(choices=choices, value=current.id),
            gr.DownloadButton(value=picture_file, interactive=True),
            gr.DownloadButton(value=session_file, interactive=True),
        )

    @staticmethod
    def _need(sid: str) -> str:
        if not sid:
            raise InvalidRequestError("open a picture first: upload one, or press 'Use the example scene'")
        return sid

    # ------------------------------------------------------------------ starting
    def restore(self, request: gr.Request) -> tuple:
        """On page load: the session named in the address (a reload), else an empty page."""
        asked = (request.query_params.get("session") or "").strip() if request is not None else ""
        if asked:
            try:
                sid = check_id(asked)
                if self.service.exists(sid):
                    return self.view(sid, restored_messages(self.files, sid, self.service.turns(sid)))
            except EmilieError:
                pass
            return self.view("", [say(f"There is no session {asked[:40]!r} here. Open a picture to start a new one.")])
        return self.view("", [say(
            "Upload a picture (or press *Use the example scene*), then say what to change. "
            f"This page takes {self.limits.describe()}."
        )])

    def open_upload(self, path: str | None) -> tuple:
        if not path:
            return tuple(gr.skip() for _ in range(8))
        check_upload(path, self.limits)
        sid = self.service.open(Path(path).read_bytes())
        root = self.service.turns(sid)[-1]
        return self.view(sid, opened_messages(self.files, sid, root, "your picture"))

    def open_example(self) -> tuple:
        sid = self.service.open(demo_scene(self.example_size))
        root = self.service.turns(sid)[-1]
        return self.view(sid, opened_messages(self.files, sid, root, "the example toy-world scene"))

    def import_session(self, path: str | None) -> tuple:
        if not path:
            return tuple(gr.skip() for _ in range(8))
        size = os.path.getsize(path)
        if size > self.limits.max_upload_bytes:
            raise InvalidRequestError(
                f"the zip is {size / 1024 / 1024:.1f} MB; this page takes files up to {self.limits.max_upload_mb:g} MB"
            )
        sid = self.service.import_(Path(path).read_bytes())
        return self.view(sid, restored_messages(self.files, sid, self.service.turns(sid)))

    # ------------------------------------------------------------------ talking
    def send(self, text: str, sid: str, chat: list, auto: bool, spread: float, invert: bool, preview_first: bool,
             progress=gr.Progress()):
        """A message: a request (edited step by step, with progress) or a command; with "preview the mask
        first", a request is only planned and its masks shown, and kept for the Apply button."""
        text = (text or "").strip()
        self._need(sid)
        if not text:
            raise InvalidRequestError('say what to change, e.g. "make the sky purple", or "help"')
        chat = list(chat or []) + [say(text, role="user")]
        skip = gr.skip()
        # Show the message at once; the reply follows when the steps are done.
        yield ("", skip, skip, skip) + (skip, chat) + (skip,) * 6
        spread_value = None if auto else float(spread)
        if preview_first and parse_command(text) is None:
            chat += self._preview(sid, text, invert=invert, spread=spread_value, progress=progress)
            pending = {"text": text, "invert": bool(invert), "spread": spread_value}
            yield ("", invert, pending, gr.Button(visible=True)) + self.view(sid, chat)
            return
        chat += self._run(sid, text, invert=invert, spread=spread_value, progress=progress)
        yield ("", False, None, gr.Button(visible=False)) + self.view(sid, chat)

    def apply(self, pending: dict | None, sid: str, chat: list, progress=gr.Progress()):
        """Run the request last previewed, as it was previewed."""
        self._need(sid)
        if not pending:
            raise InvalidRequestError("nothing to apply: send a request with 'Preview the mask first' ticked")
        chat = list(chat or []) + [say(f"Apply: {pending['text']}", role="user")]
        chat += self._run(sid, pending["text"], invert=pending["invert"], spread=pending["spread"], progress=progress)
        return (False, None, gr.Button(visible=False)) + self.view(sid, chat)

    def _run(self, sid: str, text: str, *, invert: bool, spread: float | None, progress) -> list:
        before = self.service.current(sid).id
        progress(0.0, desc="planning and finding masks")

        def step_progress(label: str):
            def update(done: int, total: int) -> None:
                progress((done, total), desc=f"{label}: editing", unit="steps")

            return update

        reply = self.service.message(sid, text, spread=spread, invert=invert, progress=step_progress)
        moved = reply.current if reply.current is not None and reply.current.id != before else None
        return reply_messages(reply, self.files, sid, moved_to=moved)

    def _preview(self, sid: str, text: str, *, invert: bool, spread: float | None, progress) -> list:
        progress(0.0, desc="planning")
        plan = self.service.plan(text, sid)
        previews = []
        local = [(n, step) for n, step in enumerate(plan.steps, start=1) if step.scope == "local"]
        for done, (number, step) in enumerate(local):
            progress((done, len(local)), desc=f"finding the mask for {step.target!r}", unit="masks")
            step = step.model_copy(update={"invert": step.invert or invert})
            picture, result = self.service.preview_mask(
                sid, step.target, invert=step.invert, spread=spread, granularity=choose_granularity(step)
            )
            previews.append((number, picture, result))
        return plan_preview_messages(plan, previews, self.files, sid)

    # ------------------------------------------------------------------ moving around
    def undo(self, sid: str, chat: list) -> tuple:
        turn = self.service.undo(self._need(sid))
        return self._moved(sid, chat, "Undo", f"Undone: now at {where(turn)}.", turn)

    def redo(self, sid: str, chat: list) -> tuple:
        turn = self.service.redo(self._need(sid))
        return self._moved(sid, chat, "Redo", f"Redone: now at {where(turn)}.", turn)

    def go_to(self, sid: str, chat: list, turn_id: Any) -> tuple:
        turn = self.service.go_to(self._need(sid), self._turn_id(turn_id))
        return self._moved(sid, chat, f"Go to turn #{turn.id}", f"Now at {where(turn)}.", turn)

    def branch(self, sid: str, chat: list, turn_id: Any) -> tuple:
        turn = self.service.go_to(self._need(sid), self._turn_id(turn_id))
        return self._moved(
            sid, chat, f"Branch from turn #{turn.id}",
            f"Now at {where(turn)}. Your next edit starts a new branch here; the later turns stay in the history.",
            turn,
        )

    def pick_from_strip(self, sid: str, chat: list, evt: gr.SelectData) -> tuple:
        path = self.service.turns(self._need(sid))
        index = evt.index if isinstance(evt.index, int) else evt.index[0]
        if index >= len(path) - 1:
            return tuple(gr.skip() for _ in range(8))  # the current picture: nothing to do
        return self.go_to(sid, chat, path[index].id)

    def _moved(self, sid: str, chat: list, said: str, answer: str, turn) -> tuple:
        chat = list(chat or []) + [say(said, role="user"), say(answer), show(self.files.turn(sid, turn), turn_caption(turn))]
        return self.view(sid, chat)

    @staticmethod
    def _turn_id(turn_id: Any) -> int:
        if turn_id is None or turn_id == "":
            raise InvalidRequestError("pick a turn first (the list under the history)")
        try:
            return int(turn_id)
        except (TypeError, ValueError):
            raise InvalidRequestError(f"{turn_id!r} is not a turn number") from None


def build_app(
    service: "EditingService",
    *,
    files_dir: str | os.PathLike,
    limits: Limits | None = None,
    example_size: tuple[int, int] | None = None,
) -> gr.Blocks:
    """The page over ``service``; the pictures it shows and offers are written under ``files_dir``."""
    limits = limits or Limits()
    if example_size is None:
        example_size = EXAMPLE_SIZE.get(str(service.models), REAL_EXAMPLE_SIZE)
    page = Page(service, PageFiles(files_dir), limits, example_size)
    shown = _shown_errors

    with gr.Blocks(title=TITLE) as app:
        gr.Markdown(
            f"## {TITLE}\n"
            "Upload a picture, then ask for edits in plain words; several at once are done step by step "
            "(*make it winter, then paint the door blue*). Commands: *undo*, *redo*, *show history*, "
            "*show the mask for the door*, *go to turn 2*, *go back to before the snow*, *start over*, *help*. "
            f"Models: **{service.models or 'the default real models'}**."
        )
        with gr.Row():
            with gr.Column(scale=3):
                chatbot = gr.Chatbot(
                    label="Conversation", elem_id="chat", height=520, feedback_options=None, buttons=["copy"],
                )
                with gr.Row():
                    message = gr.Textbox(
                        placeholder=f"e.g. {EXAMPLE_REQUEST}", show_label=False, elem_id="message", scale=5,
                        lines=1, max_lines=4, submit_btn=False,
                    )
                    send_button = gr.Button("Send", variant="primary", elem_id="send", scale=1, min_width=80)
                with gr.Row():
                    auto = gr.Checkbox(label="Granularity: auto (chosen per step)", value=True, elem_id="auto")
                    spread = gr.Slider(
                        0.0, 1.0, value=0.5, step=0.05, elem_id="spread",
                        label="Granularity for the next edit: object 0 · region 0.5 · global 1",
                    )
                with gr.Row():
                    invert = gr.Checkbox(label="Invert the next edit (everything except the target)", elem_id="invert")
                    preview_first = gr.Checkbox(
                        label="Preview the mask first (plan only, then Apply)", elem_id="preview-first"
                    )
                    apply_button = gr.Button("Apply", variant="primary", visible=False, elem_id="apply")
                pending = gr.State(None)
                strip = gr.Gallery(
                    label="Turns to the current picture (click one to go back to it)", columns=6, fit_columns=False, height=150,
                    object_fit="contain", format="png", allow_preview=False, elem_id="strip",
                )
            with gr.Column(scale=2):
                upload = gr.Image(
                    label="Your picture (upload to start a session)", type="filepath", sources=["upload", "clipboard"],
                    format="png", height=170, elem_id="upload",
                )
                with gr.Row():
                    example = gr.Button("Use the example scene", size="sm", elem_id="example")
                    load_zip = gr.UploadButton(
                        "Load a session (.zip)", file_types=[".zip"], size="sm", elem_id="load-session"
                    )
                current = gr.Image(
                    label="Current picture", type="filepath", format="png", interactive=False, elem_id="current",
                    height=260, buttons=["download", "fullscreen"],
                )
                with gr.Row():
                    download_picture = gr.DownloadButton(
                        "Picture (PNG)", size="sm", interactive=False, elem_id="download-picture"
                    )
                    download_session = gr.DownloadButton(
                        "Session (.zip)", size="sm", interactive=False, elem_id="download-session"
                    )
                    undo = gr.Button("Undo", size="sm", elem_id="undo")
                    redo = gr.Button("Redo", size="sm", elem_id="redo")
                history = gr.Code(
                    label="History (* = current; branches indented)", language=None, elem_id="history",
                    interactive=False, lines=5,
                )
                with gr.Row():
                    turn_pick = gr.Dropdown(label="Turn", choices=[], elem_id="turn-pick", scale=2)
                    go_button = gr.Button("Go to", size="sm", elem_id="go-to", scale=1, min_width=60)
                    branch_button = gr.Button("Branch from it", size="sm", elem_id="branch", scale=1, min_width=60)
                session_box = gr.Textbox(label="Session", interactive=False, elem_id="session-id", max_lines=1)

        view = [session_box, chatbot, current, strip, history, turn_pick, download_picture, download_session]
        app.load(shown(page.restore), None, view)
        session_box.change(None, session_box, None, js=SET_SESSION_IN_URL)
        upload.upload(shown(page.open_upload), upload, view)
        example.click(shown(page.open_example), None, view)
        load_zip.upload(shown(page.import_session), load_zip, view)
        talk_inputs = [message, session_box, chatbot, auto, spread, invert, preview_first]
        talk_outputs = [message, invert, pending, apply_button] + view
        message.submit(shown(page.send), talk_inputs, talk_outputs)
        send_button.click(shown(page.send), talk_inputs, talk_outputs)
        apply_button.click(shown(page.apply), [pending, session_box, chatbot], [invert, pending, apply_button] + view)
        spread.release(lambda: False, None, auto)  # moving the slider means "this granularity", not auto
        undo.click(shown(page.undo), [session_box, chatbot], view)
        redo.click(shown(page.redo), [session_box, chatbot], view)
        go_button.click(shown(page.go_to), [session_box, chatbot, turn_pick], view)
        branch_button.click(shown(page.branch), [session_box, chatbot, turn_pick], view)
        strip.select(shown(page.pick_from_strip), [session_box, chatbot], view)
    app.queue(default_concurrency_limit=8)  # the service serialises each session and the model calls itself
    return app


def launch(app: gr.Blocks, *, host: str = "127.0.0.1", port: int | None = None, files_dir: str | os.PathLike,
           limits: Limits | None = None, **kwargs: Any) -> None:
    """Serve ``app`` until interrupted (no server-side rendering: the page is the plain client)."""
    limits = limits or Limits()
    app.launch(
        server_name=host,
        server_port=port,
        ssr_mode=False,
        max_file_size=limits.max_upload_bytes,
        allowed_paths=[str(Path(files_dir).resolve())],
        show_error=True,
        css=CSS,
        **kwargs,
    )
