"""The printed workshop packet: participant packets, facilitator guides and the job aid as PDFs."""
