"""The content area: loading and checking the course files, publishing versions, serving them."""
