"""Think longer in the window: the button under a reply, its run, and its candidates."""
