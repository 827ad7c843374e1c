"""Think longer: spend more compute on one reply (several candidates and a choice, or a
higher thinking effort for models that think), and keep the result as a new version."""
