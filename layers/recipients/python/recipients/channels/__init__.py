"""Channel data: what each channel (push, chat, ...) needs to reach a user or an object."""
