"""Live, facilitated workshops: the room's join code, its state, the presenter stream, attendance."""
