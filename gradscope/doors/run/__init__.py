"""`gradscope run`: an unmodified training script observed from outside."""
