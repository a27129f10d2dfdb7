"""Routes: BPMN processes published as immutable versions, the engine's parsed route of
each version, and the administrators' new drawings."""
