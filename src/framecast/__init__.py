"""framecast: batches of still images in, Ken Burns clips out, only URLs back."""
