"""Quiz mode: the viewer names a structure, the student clicks one; right or wrong, and a score.

The questions come from the structures shown (the viewer passes them in), each asked once per
round in a shuffled order; a seed makes a round repeatable.  Pure Python: the viewer draws.

Examples
--------
>>> quiz = Quiz(["gluteus_medius_r", "piriformis_r"], seed=1)
>>> first = quiz.question
>>> quiz.answer(first).correct, quiz.score, quiz.asked
(True, 1, 1)
>>> wrong = quiz.answer("femur_r")
>>> wrong.correct, wrong.expected != "femur_r", quiz.score, quiz.asked
(False, True, 1, 2)
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["Quiz", "QuizResult"]


@dataclass(frozen=True)
class QuizResult:
    """One answer: what was asked, what was clicked, and whether it was right."""

    expected: str
    clicked: str
    correct: bool


class Quiz:
    """A round of questions over ``candidates`` (structure names); see the module's example.

    Attributes
    ----------
    question : str
        The structure to click now.
    score, asked : int
        Right answers, and answers given.
    history : list of QuizResult
    """

    def __init__(self, candidates: Iterable[str], seed: int | None = None) -> None:
        self.candidates = list(dict.fromkeys(candidates))
        if not self.candidates:
            raise ValueError("a quiz needs at least one structure shown; show a layer first")
        self.score = 0
        self.asked = 0
        self.history: list[QuizResult] = []
        self._rng = random.Random(seed)
        self._queue: list[str] = []
        self.question = ""
        self._next()

    def _next(self) -> None:
        if not self._queue:
            self._queue = self._rng.sample(self.candidates, len(self.candidates))
        self.question = self._queue.pop()

    def answer(self, clicked: str) -> QuizResult:
        """Mark the click against the current question, keep the score, and ask the next one."""
        result = QuizResult(self.question, clicked, clicked == self.question)
        self.asked += 1
        self.score += int(result.correct)
        self.history.append(result)
        self._next()
        return result
