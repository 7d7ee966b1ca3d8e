"""Contest pages: the guardian's (submit, the entry page), the public (gallery, certificate
check), the organizer's (configuration, moderation, results) and the judge's."""
