"""At the door: signed tickets, check-in, offline lists, walk-ins and paper."""
