"""cmi5: course packages an LMS imports, and the learners its launches bring."""
