"""Intelligence about the contexts children are exploited in: persons of concern, places,
vehicles and online accounts, graded as the police grade intelligence, and the rules that
link them across children. Pure: no database, no Qt (the services store and show them)."""
