"""Files and what is on them: opening, moving along the route (one function places tasks),
notes, drafts, receipts, attachments, numbers, the record room, the inbox and search."""
