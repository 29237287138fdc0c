-- select(label, where(is.numeric)): the label column, then the numeric columns in data order.
-- $columns lists the label and the numeric columns (read from the frame's schema by tidyclust.sql).
SELECT COLUMNS($columns)
FROM songs
