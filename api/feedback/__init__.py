"""Family feedback: the feedback card as content, schools' public links and QR cards, the
public page and answer route (no login, abuse-safe), and the figures per school."""
