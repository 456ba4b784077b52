"""pydantic models: the API's requests and responses, the stored alert, the field errors."""
