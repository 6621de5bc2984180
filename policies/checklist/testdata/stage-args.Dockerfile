# A stage ARG whose default is a credential: in the image history.
FROM alpine:3.20
ARG DB_PASSWORD=s3cr3t-value
ARG CACHE_KEY=AKIAZ7Q3RN2XW5TB4KLM
USER 1000
