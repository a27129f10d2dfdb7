"""A new route starts as a first drawing that already passes every check: one lane (a role
that a post of the office holds), a start, one step and an end.  The administrator draws the
rest in the editor and publishes version 1 like any other version."""

import re
from xml.sax.saxutils import quoteattr

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import InvalidInput, named
from ..models import Office, Post, Route

KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")

_DRAWING = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" \
xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" \
xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" \
xmlns:di="http://www.omg.org/spec/DD/20100524/DI" \
xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" \
id="Definitions_{key}" targetNamespace="http://sanchika.org/bpmn" exporter="Sanchika" \
exporterVersion="1.0">
  <bpmn:collaboration id="Collaboration_{key}">
    <bpmn:participant id="Participant_{key}" name={name} processRef="{key}" />
  </bpmn:collaboration>
  <bpmn:process id="{key}" name={name} isExecutable="true">
    <bpmn:laneSet id="LaneSet_{key}">
      <bpmn:lane id="Lane_First" name={role}>
        <bpmn:flowNodeRef>Start_Opened</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>Task_First</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>End_Done</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="Start_Opened" name="File opened">
      <bpmn:outgoing>Flow_Opened</bpmn:outgoing>
    </bpmn:startEvent>
    <bpmn:userTask id="Task_First" name="Put up note">
      <bpmn:incoming>Flow_Opened</bpmn:incoming>
      <bpmn:outgoing>Flow_Done</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="End_Done" name="Done">
      <bpmn:incoming>Flow_Done</bpmn:incoming>
    </bpmn:endEvent>
    <bpmn:sequenceFlow id="Flow_Opened" sourceRef="Start_Opened" targetRef="Task_First" />
    <bpmn:sequenceFlow id="Flow_Done" name="Close" sourceRef="Task_First" targetRef="End_Done" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="Diagram_{key}">
    <bpmndi:BPMNPlane id="Plane_{key}" bpmnElement="Collaboration_{key}">
      <bpmndi:BPMNShape id="Participant_{key}_di" bpmnElement="Participant_{key}" \
isHorizontal="true">
        <dc:Bounds x="120" y="80" width="600" height="200" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="Lane_First_di" bpmnElement="Lane_First" isHorizontal="true">
        <dc:Bounds x="150" y="80" width="570" height="200" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="Start_Opened_di" bpmnElement="Start_Opened">
        <dc:Bounds x="202" y="162" width="36" height="36" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="Task_First_di" bpmnElement="Task_First">
        <dc:Bounds x="320" y="140" width="120" height="80" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="End_Done_di" bpmnElement="End_Done">
        <dc:Bounds x="562" y="162" width="36" height="36" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNEdge id="Flow_Opened_di" bpmnElement="Flow_Opened">
        <di:waypoint x="238" y="180" />
        <di:waypoint x="320" y="180" />
      </bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="Flow_Done_di" bpmnElement="Flow_Done">
        <di:waypoint x="440" y="180" />
        <di:waypoint x="562" y="180" />
      </bpmndi:BPMNEdge>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
"""


def first_drawing(session: Session, office: Office, key: str | None, name: str | None) -> bytes:
    """The BPMN (bytes) of a new route ``key`` named ``name`` for ``office``: its first step
    is in the lane of a role the office has (its first post's, heads of office last), so that
    it can be published as it is.  Refused when the key is not usable or the office has a route with that key."""
    key, name = (key or "").strip(), " ".join((name or "").split())
    if not KEY.match(key):
        raise InvalidInput("the route key '%(key)s' must start with a letter and hold only "
                           "letters, digits, _ and - (at most 64)", key=key)
    if not name:
        raise InvalidInput("the new route needs a name")
    if session.scalar(select(Route.id).where(Route.office_id == office.id,
                                             Route.key == key)) is not None:
        raise InvalidInput("%(office)s has a route '%(key)s' already: edit that one",
                           office=named(office), key=key)
    role = session.scalar(select(Post.role).where(Post.office_id == office.id)
                          .order_by(Post.is_head, Post.id).limit(1))
    if role is None:
        raise InvalidInput("%(office)s has no posts yet: create them before drawing a route",
                           office=named(office))
    return _DRAWING.format(key=key, name=quoteattr(name[:200]),
                           role=quoteattr(role)).encode("utf-8")

