"""Kind Alarm: the missing-child alert service of Burgernet."""
