"""Eval tasks as files: `evals/*.yaml`, one customer task each (the format is in DESIGN.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from bot.config import ConfigError

# The shipped tasks, beside the package in the repository.
SHIPPED_TASKS = Path(__file__).resolve().parents[3] / "evals"


class Persona(BaseModel):
    """Who the customer is: the display name the conversation has."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1)


class Turn(BaseModel):
    """One scripted message: its text and the images it attaches (under evals/images/)."""

    model_config = ConfigDict(extra="forbid")
    text: str = ""
    attach: list[str] = []


class ApiAnswer(BaseModel):
    """The company API's answer to one operation during the task."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    status: int = Field(default=200, ge=100, le=599)
    body: Any = Field(default=None, alias="json")
    text: str | None = None


class Expect(BaseModel):
    """Checks on outcomes the store can show; every key optional."""

    model_config = ConfigDict(extra="forbid")
    ticket: bool | None = None
    ticket_name: str | None = None
    ticket_issue_contains: list[str] = []
    handoff: bool | None = None
    articles: list[str] = []
    says: list[str] = []
    never_says: list[str] = []
    actions: list[str] = []
    no_actions: list[str] = []


class Task(BaseModel):
    """One customer task: a persona and goal, scripted turns or a simulated customer."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1)
    customer: Persona
    turns: list[Turn] | None = None
    goal: str = ""
    expect: Expect = Expect()
    api: dict[str, ApiAnswer] | None = None
    confirm: bool = True
    folder: Path = Path()

    @model_validator(mode="before")
    @classmethod
    def _plain_turns(cls, data: Any) -> Any:
        """A turn may be written as a plain string."""
        if isinstance(data, dict) and isinstance(data.get("turns"), list):
            data = {
                **data,
                "turns": [{"text": t} if isinstance(t, str) else t for t in data["turns"]],
            }
        return data

    @model_validator(mode="after")
    def _has_a_script_or_a_goal(self) -> Task:
        if not self.turns and not self.goal.strip():
            raise ValueError("a task needs `turns` or a `goal` for the simulated customer")
        return self

    def image(self, name: str) -> Path:
        """An attached image's file (relative to the task's folder: images/...)."""
        return (self.folder / name).resolve()


def load_tasks(folder: Path) -> list[Task]:
    """Every task file in the folder, by name; a broken one stops with one clear line."""
    files = sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")])
    if not files:
        raise ConfigError(f"no task files (*.yaml) in {folder}")
    tasks: list[Task] = []
    for file in files:
        try:
            raw = yaml.safe_load(file.read_text(encoding="utf-8"))
            task = Task.model_validate({**(raw or {}), "folder": file.parent})
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(f"task {file.name} cannot be read: {exc}") from None
        except ValidationError as exc:
            error = exc.errors()[0]
            where = ".".join(str(p) for p in error["loc"]) or "task"
            raise ConfigError(f"task {file.name}: {where}: {error['msg']}") from None
        for turn in task.turns or []:
            for name in turn.attach:
                if not task.image(name).is_file():
                    raise ConfigError(f"task {file.name}: no image {name}")
        tasks.append(task)
    names = [t.name for t in tasks]
    if len(set(names)) != len(names):
        raise ConfigError("two tasks share a name")
    return tasks
