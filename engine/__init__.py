"""Sanchika's BPMN engine: the only package that knows SpiffWorkflow.

It reads routes (BPMN processes) and runs them; it knows nothing of offices, files or databases.
The modules, by concern: ``routes`` (read a route; the parsed-route cache), ``checks`` (what a
route must pass), ``cycles`` (its loops that no official stops), ``roles`` (who holds each step:
its lane, or the role a modeler wrote on it), ``extensions`` (what modelers add beyond BPMN, and
what of it a route may carry) and ``bpmn_names`` (naming it all as modelers do), ``conditions``,
``expressions`` (conditions written as ``${...}``) and ``scripting`` (the restricted evaluator
every route runs with), ``runtime`` (start, ready steps, complete; every run of the engine
bounded), ``calls`` (the sub-processes it runs: embedded ones, and the routes it calls, checked
in ``subroutes``), ``timers``, ``history`` (compacting the engine's memory), ``storing`` and ``state``
(dump and load), ``live`` (instances kept between actions), ``moving`` (to another route
version), and ``spiff_internals`` (the one module that touches SpiffWorkflow's private parts).
"""

from .bpmn_names import relabel
from .calls import MAX_DEPTH, Called
from .checks import Problem, RouteInvalid
from .conditions import UnsafeExpression
from .instance import Instance
from .live import clear_cache
from .moving import start_at, start_at_steps
from .refusals import RouteError
from .routes import Route, Step, check_route, lane_id, parse_route
from .runtime import (MAX_ENGINE_STEPS, MAX_NEW_TASKS, ReadyStep, RouteRunsOn, complete,
                      ready_steps, start)
from .storing import SPIFF_VERSION, dump, load
from .subroutes import call_chain
from .timers import WaitingTimer, fire_timer, waiting_timers

__all__ = [
    "MAX_DEPTH", "MAX_ENGINE_STEPS", "MAX_NEW_TASKS", "SPIFF_VERSION", "Called", "Instance",
    "Problem", "ReadyStep", "Route", "RouteError", "RouteInvalid", "RouteRunsOn", "Step",
    "UnsafeExpression", "WaitingTimer", "call_chain", "check_route", "clear_cache", "complete",
    "dump", "fire_timer", "lane_id", "load", "parse_route", "ready_steps", "relabel", "start",
    "start_at", "start_at_steps", "waiting_timers",
]
