"""Dialogues: the concerns inbox. A family's answer that asks for contact, or a concern staff
enter from a call or a visit, routed to a team and owned until it is closed."""
