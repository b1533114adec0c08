"""Operations: backups and their verification, retention."""
