-- Rindle v0.1.5's media_assets and media_provider_assets, as its Ecto migrations leave
-- them with Rindle's repo config (binary_id keys, utc_datetime_usec timestamps):
-- create_media_assets, extend_media_for_av (media_assets part), create_media_provider_assets.
-- Applied only by `rindle-worker migrate --with-rindle`, the tests and the demo.
CREATE TABLE IF NOT EXISTS {{schema}}.media_assets (
  id uuid PRIMARY KEY,
  state character varying(255) NOT NULL DEFAULT 'staged',
  storage_key character varying(255) NOT NULL,
  content_type character varying(255),
  byte_size bigint,
  filename character varying(255),
  metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
  recipe_digest character varying(255),
  profile character varying(255) NOT NULL,
  inserted_at timestamp without time zone NOT NULL,
  updated_at timestamp without time zone NOT NULL,
  kind character varying(255) NOT NULL DEFAULT 'image',
  width integer,
  height integer,
  duration_ms bigint,
  has_video_track boolean,
  has_audio_track boolean,
  error_reason text
);
CREATE INDEX IF NOT EXISTS media_assets_state_index ON {{schema}}.media_assets (state);
CREATE UNIQUE INDEX IF NOT EXISTS media_assets_storage_key_index ON {{schema}}.media_assets (storage_key);
CREATE INDEX IF NOT EXISTS media_assets_kind_index ON {{schema}}.media_assets (kind);

CREATE TABLE IF NOT EXISTS {{schema}}.media_provider_assets (
  id uuid PRIMARY KEY,
  asset_id uuid NOT NULL
    CONSTRAINT media_provider_assets_asset_id_fkey REFERENCES {{schema}}.media_assets (id) ON DELETE CASCADE,
  profile character varying(255) NOT NULL,
  provider_name character varying(255) NOT NULL,
  provider_asset_id character varying(255),
  playback_ids character varying(255)[] NOT NULL DEFAULT ARRAY[]::character varying(255)[],
  playback_policy character varying(255),
  ingest_mode character varying(255),
  state character varying(255) NOT NULL DEFAULT 'pending',
  last_event_id character varying(255),
  last_event_at timestamp without time zone,
  last_sync_error text,
  raw_provider_metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
  inserted_at timestamp without time zone NOT NULL,
  updated_at timestamp without time zone NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS media_provider_assets_provider_name_provider_asset_id_index
  ON {{schema}}.media_provider_assets (provider_name, provider_asset_id) WHERE provider_asset_id IS NOT NULL;
CREATE UNIQUE INDEX IF NOT EXISTS media_provider_assets_asset_id_profile_provider_name_index
  ON {{schema}}.media_provider_assets (asset_id, profile, provider_name);
CREATE INDEX IF NOT EXISTS media_provider_assets_state_index ON {{schema}}.media_provider_assets (state);
CREATE INDEX IF NOT EXISTS media_provider_assets_state_updated_at_index
  ON {{schema}}.media_provider_assets (state, updated_at);
