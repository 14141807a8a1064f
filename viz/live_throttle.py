"""The live view's frame rule: draw every N steps at most, and only while drawing stays within 10 % of the time.

The loop's own time is the wall time between one ``update()`` returning and the next one being
called (the user's forward, backward and step); the drawing time is all the time spent inside
``update()``: the frames, and the few microseconds every update takes to record the loss.
A frame is due at an update when

1. at least ``every`` updates have passed since the last frame (the first frame has no such wait), and
2. the drawing time so far plus the predicted cost of this frame stays within 0.8 × ``budget`` (8 %)
   of all the time so far: ``D + p ≤ a · (T + D + p)``, i.e. ``D + p ≤ T · a / (1 − a)`` with a = 0.08,
   where T is the loop's time so far, D the drawing time so far, and p 1.5 × the largest of the
   last three frames' costs (1.5 × `FIRST_GUESS` before the first frame).

So the drawing share ``D / (T + D)`` stays within 8 % at every frame as long as a frame costs no more
than the prediction, and within 10 % with one up to 1.2 × slower (a slower one still, e.g. with a garbage collection inside it, is paid back
before the next frame: none is drawn until the share is back under budget). The first frame waits
until the loop has run 11.5 × 1.5 × FIRST_GUESS (0.52 s); a loop shorter than that shows only the final
picture (drawn once after the loop, not counted).
"""

from __future__ import annotations

import time

FIRST_GUESS = 0.03
MARGIN = 1.5
AIM = 0.8
"""Frames are planned to 0.8 of the budget (8 % of 10 %): the rest absorbs a frame slower than predicted and the
few microseconds each update spends recording the loss and the parameters."""
"""A frame's predicted cost is this many times the largest of the last three (a busy kernel's frames vary so)."""
"""The predicted cost of the first frame, in seconds (a 2-3-1 frame takes about 0.01 s, a 4-8-3 one 0.02 s)."""


class Throttle:
    """Decides, at each update, whether to draw a frame; keeps the loop's time and the drawing time.

    Args:
        every: draw at most every ``every`` updates (>= 1).
        budget: the largest share of the time drawing may take (0 < budget < 1), default 0.10.
        clock: a function returning seconds (default ``time.perf_counter``; tests pass a fake one).
        first_guess: the predicted cost of the first frame, in seconds.

    >>> t = [0.0]
    >>> th = Throttle(every=2, clock=lambda: t[0], first_guess=0.007)
    >>> th.start(), th.finish(drew=False)          # first update: no loop timed yet, no frame
    (False, None)
    >>> t[0] += 0.13; th.start()                    # 0.13 s of loop: 11.5 × 1.5 × 0.007 s, the first frame fits
    True
    >>> t[0] += 0.01; th.finish(drew=True); [round(c, 6) for c in th.costs]
    [0.01]
    """

    def __init__(self, every: int = 10, budget: float = 0.10, clock=time.perf_counter,
                 first_guess: float = FIRST_GUESS):
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ValueError(f"every must be an int >= 1 (draw at most every N updates), got {every!r}")
        if not (isinstance(budget, (int, float)) and 0.0 < budget < 1.0):
            raise ValueError(f"budget must be a share of the time between 0 and 1 (e.g. 0.10), got {budget!r}")
        self.every, self.budget, self.clock, self.first_guess = every, float(budget), clock, float(first_guess)
        self.loop_seconds = 0.0  # T: the user's loop, between updates
        self.draw_seconds = 0.0  # D: inside update(): frames and recording
        self.updates = 0
        self.frames = 0
        self.costs: list[float] = []  # each frame's drawing time, in order
        self._since = 0  # updates since the last frame
        self._returned: float | None = None  # when the last update returned
        self._began = 0.0

    def predicted(self) -> float:
        """The next frame's expected cost: `MARGIN` × the largest of the last three (FIRST_GUESS before any)."""
        return MARGIN * max(self.costs[-3:], default=self.first_guess)

    def start(self) -> bool:
        """Called as an update begins: count the loop time since the last update; return whether to draw."""
        now = self.clock()
        if self._returned is not None:
            self.loop_seconds += max(0.0, now - self._returned)
        self.updates += 1
        self._since += 1
        self._began = now
        if self.frames and self._since < self.every:
            return False
        p, aim = self.predicted(), AIM * self.budget
        return self.draw_seconds + p <= self.loop_seconds * aim / (1.0 - aim)

    def finish(self, drew: bool) -> None:
        """Called as the update returns: the time since `start` (a frame, or only the recording) is the view's."""
        now = self.clock()
        spent = max(0.0, now - self._began)
        self.draw_seconds += spent  # the view's time: frames, and the recording every update does
        if drew:
            self.costs.append(spent)
            self.frames += 1
            self._since = 0
        self._returned = now

    @property
    def share(self) -> float:
        """Drawing's share of the time so far, D / (T + D) (0 before anything was timed)."""
        total = self.loop_seconds + self.draw_seconds
        return self.draw_seconds / total if total > 0 else 0.0
