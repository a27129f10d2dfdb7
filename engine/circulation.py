"""Circulation: one step of a route sent to many posts at once, or to one after another.

A step drawn as a multi-instance task (BPMN's ``multiInstanceLoopCharacteristics``) goes to a
list of posts, one part of the file per post; the step is done when every post has answered,
or earlier when its completion condition says so.  The list is the application's to fill,
before the step is reached, under the name the route gives it (``loopDataInputRef``, or
Camunda's ``camunda:collection``); each part's post is its item (``inputDataItem``, or
``camunda:elementVariable``).  Which posts the list holds is the step's ``recipients``
property:

- ``district`` (the default): every post holding the step's role in the other offices of the
  file's district (every Circle Officer of Saran, for a file of the district's office);
- ``office``: every post holding the role in the file's own office;
- ``marked``: the posts the official sending the file on picks ("mark to").

A completion condition reads the answer just given (``choice``), the file's ``priority`` and,
as Camunda names them, ``nrOfInstances``, ``nrOfCompletedInstances`` and
``nrOfActiveInstances``, and ``majority``, the number of answers that is more than half
(``${nrOfCompletedInstances >= majority}``): conditions have no arithmetic.
"""

from dataclasses import dataclass
from typing import Any

from lxml import etree
from SpiffWorkflow.util.task import TaskState

from . import conditions
from .bpmn_names import BPMN, CAMUNDA, NS
from .cycles import STEPS
from .refusals import N_, RouteError

RECIPIENTS = ("district", "office", "marked")
#: What a completion condition may read, besides the routing variables.
COUNTS = frozenset({"nrOfInstances", "nrOfCompletedInstances", "nrOfActiveInstances",
                    "majority"})
_MI = f"{{{BPMN}}}multiInstanceLoopCharacteristics"
_DEFAULT_ITEM = "post"

Found = tuple[Any, str, dict[str, Any]]


@dataclass(frozen=True)
class Circulation:
    """How a step goes to many posts: who (``recipients``), one after another or all at once
    (``sequential``), the names of the list and of its item in the route's variables, and
    the completion condition ("" when every post must answer)."""
    recipients: str
    sequential: bool
    collection: str
    item: str
    condition: str = ""


def of_step(step: Any, properties: dict[str, str]) -> Circulation | None:
    """The circulation a step element carries (None for a step held by one post)."""
    loop = step.find(_MI)
    if loop is None:
        return None
    return Circulation(
        recipients=(properties.get("recipients") or RECIPIENTS[0]).strip().lower(),
        sequential=loop.get("isSequential", "false") == "true",
        collection=_collection(loop), item=_item(loop),
        condition=" ".join(loop.findtext(f"{{{BPMN}}}completionCondition", "").split()))


def _collection(loop: Any) -> str:
    named = (loop.findtext(f"{{{BPMN}}}loopDataInputRef") or "").strip()
    return named or _unbraced(loop.get(f"{{{CAMUNDA}}}collection") or "")


def _item(loop: Any) -> str:
    item = loop.find(f"{{{BPMN}}}inputDataItem")
    if item is not None:
        return (item.get("name") or item.get("id") or _DEFAULT_ITEM).strip()
    return _unbraced(loop.get(f"{{{CAMUNDA}}}elementVariable") or "") or _DEFAULT_ITEM


def _unbraced(text: str) -> str:
    text = text.strip()
    return text[2:-1].strip() if text.startswith("${") and text.endswith("}") else text


def problems(process: Any, properties: Any, routing_variables: frozenset[str]) -> list[Found]:
    """What is wrong with the circulation steps of ``process``: each as the element to mark,
    the problem's template and its values.  ``properties(el)`` gives a step's properties."""
    found: list[Found] = []
    for loop in process.iter(_MI):
        step = loop.getparent()
        where = _placement_problem(process, step)
        if where:
            found.append(where)
            continue
        if loop.find(f"{{{BPMN}}}loopCardinality") is not None or not _collection(loop):
            found.append((step, N_("a multi-instance step needs a list of posts to go to, "
                                   "not a number of copies: name the list in "
                                   "loopDataInputRef (or camunda:collection) and remove "
                                   "loopCardinality"), {}))
        for kind in ("loopDataOutputRef", "outputDataItem"):
            if loop.find(f"{{{BPMN}}}{kind}") is not None:
                found.append((step, N_("%(kind)s is not supported: each post's answer is on "
                                       "the file's track"), {"kind": "bpmn:" + kind}))
        recipients = (properties(step).get("recipients") or RECIPIENTS[0]).strip().lower()
        if recipients not in RECIPIENTS:
            found.append((step, N_("recipients '%(value)s' is not one of %(allowed)s"),
                          {"value": recipients, "allowed": ", ".join(RECIPIENTS)}))
        found.extend(_condition_problems(step, loop, routing_variables))
        if process.xpath(f"bpmn:boundaryEvent[@attachedToRef='{step.get('id')}']",
                         namespaces=NS):
            found.append((step, N_("a timer on a step that goes to many posts is not "
                                   "supported: each post's time is the step's limit_days, "
                                   "and each is escalated on its own"), {}))
    return found


def _placement_problem(process: Any, step: Any) -> Found | None:
    """A multi-instance that is not a step of the route's own process: the part of the file
    each post gets is placed and answered in the file's own workflow only."""
    kind = etree.QName(step).localname
    if kind not in STEPS:
        return (step, N_("a multi-instance %(kind)s is not supported: only a step (a user "
                         "task) goes to many posts"), {"kind": kind})
    if step.getparent() is not process:
        return (step, N_("a step inside a sub-process cannot go to many posts: draw the "
                         "circulation in the route itself, outside the sub-process"), {})
    return None


def _condition_problems(step: Any, loop: Any, routing_variables: frozenset[str]) -> list[Found]:
    text = " ".join(loop.findtext(f"{{{BPMN}}}completionCondition", "").split())
    if not text:
        return []
    try:
        used = conditions.names(text)
    except conditions.UnsafeExpression as exc:
        return [(step, N_("completion condition '%(condition)s' refused: %(why)s"),
                 {"condition": text, "why": exc})]
    allowed = routing_variables | COUNTS
    unknown = used - allowed - {"True", "False", "None"}
    if unknown:
        return [(step, N_("completion condition '%(condition)s' reads %(names)s; it may read "
                          "only %(allowed)s"),
                 {"condition": text, "names": ", ".join(sorted(unknown)),
                  "allowed": ", ".join(sorted(allowed))})]
    return []


def for_the_engine(root: Any) -> Any:
    """``root`` as SpiffWorkflow's parser reads a circulation: Camunda's ``collection`` and
    ``elementVariable`` written as BPMN's ``loopDataInputRef`` and ``inputDataItem`` (a copy,
    when the route has a circulation; a condition in ``${...}`` the evaluator reads as it
    is)."""
    loops = list(root.iter(_MI))
    if not loops:
        return root
    root = etree.fromstring(etree.tostring(root))
    for loop in root.iter(_MI):
        collection, item = _collection(loop), _item(loop)
        for kind in ("loopDataInputRef", "inputDataItem"):
            for old in loop.findall(f"{{{BPMN}}}{kind}"):
                loop.remove(old)
        ref = etree.Element(f"{{{BPMN}}}loopDataInputRef")
        ref.text = collection
        loop.insert(0, ref)
        data_item = etree.Element(f"{{{BPMN}}}inputDataItem", id=item, name=item)
        loop.insert(1, data_item)
    return root


def answering(task: Any, circulation: Circulation) -> None:
    """Before ``task``, one post's part of a circulation, is completed: give it the counts its
    completion condition reads, and take out its post (the step's answers are merged into the
    file's variables, where the next circulation's item must not already be)."""
    parent = task.parent
    siblings = [c for c in parent.children if c.task_spec is task.task_spec]
    merged = len(parent.internal_data.get("merged", []))
    waiting = len(parent.internal_data.get("remaining", [])) if circulation.sequential else 0
    total = len(siblings) + waiting
    completed = merged + 1
    task.data.update(nrOfInstances=total, nrOfCompletedInstances=completed,
                     nrOfActiveInstances=0 if circulation.sequential else total - completed,
                     majority=total // 2 + 1)
    task.data.pop(circulation.item, None)


_REACHED = TaskState.STARTED | TaskState.COMPLETED


def reached(workflow: Any) -> set[Any]:
    """The ids of the tasks the workflow has reached (started or completed)."""
    return {task_id for task_id, task in workflow.tasks.items() if task.state & _REACHED}


def require_posts(instance: Any, before: set[Any]) -> None:
    """Refuse an action that reached a circulation with an empty list of posts (the library
    would pass the step by, sent to no one).  ``before``: ``reached`` before the action."""
    workflow, steps = instance._wf, instance.route.steps
    for task_id, task in workflow.tasks.items():
        step = steps.get(getattr(task.task_spec, "bpmn_id", None))
        if (task_id in before or step is None or step.circulation is None
                or task.task_spec.name != step.id or not task.state & _REACHED):
            continue
        if not any(c.task_spec.name != step.id for c in task.children
                   if c.task_spec.bpmn_id == step.id):
            if step.circulation.recipients == "marked":
                raise RouteError(N_("'%(step)s' goes to the posts you mark: mark at least one "
                                    "post to send the file to"), step=step.name)
            raise RouteError(N_("'%(step)s' goes to every post holding the role '%(role)s', "
                                "and no post holds it there; an administrator must create "
                                "or fill those posts"), step=step.name, role=step.role)


def settle(instance: Any) -> None:
    """After an action, keep a circulation still waiting as small as when it began: the
    answers given are on the file's track, so the engine forgets them.  The library merges
    each answer (its choice and counts) into the step; while other posts still have to answer,
    the step's data goes back to what the waiting posts were given, and each answered post's
    data is the step's own.  Without this each answer would add to every waiting post's
    stored state."""
    steps = instance.route.steps
    for task in instance._wf.tasks.values():
        step = steps.get(getattr(task.task_spec, "bpmn_id", None))
        if (step is None or step.circulation is None or task.task_spec.name != step.id
                or task.state != TaskState.STARTED):
            continue
        instances = [c for c in task.children if c.task_spec.name != step.id]
        given = next((c.data for c in instances if not c.state & TaskState.FINISHED_MASK),
                     None)
        if given is None:
            continue
        for key in COUNTS | {"choice"}:
            if key in given:
                task.data[key] = given[key]
            else:
                task.data.pop(key, None)
        for child in instances:
            if child.state & TaskState.FINISHED_MASK:
                child.data = task.data
