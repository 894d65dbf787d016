"""The LTI 1.3 Advantage plugin: launches from district LMSs, deep linking, grades back (AGS)."""
